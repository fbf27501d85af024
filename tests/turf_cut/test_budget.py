"""A cut cannot run away: it is bounded in turfs, stops at its time budget, and stops when
cancelled from outside its worker thread (issue 11, item 7). Pure, no database."""

import threading
import time

import numpy as np
import pytest
import shapely

from app.services.turf_cut.budget import CutBudget, CutStopped
from app.services.turf_cut.cutter import MAX_TURFS, TurfCountError, cut_turfs

AREA = shapely.box(-71.121, 42.359, -71.079, 42.391)


def doors(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return -71.12 + rng.random(n) * 0.04, 42.36 + rng.random(n) * 0.03


def test_more_turfs_than_a_cut_may_make_is_refused_before_any_work() -> None:
    lon, lat = doors(MAX_TURFS * 3)
    started = time.perf_counter()
    with pytest.raises(TurfCountError, match=f"at most {MAX_TURFS} turfs"):
        cut_turfs(lon, lat, AREA, MAX_TURFS + 1)
    assert time.perf_counter() - started < 1


def test_a_cut_stops_at_its_time_budget() -> None:
    lon, lat = doors(20_000)
    started = time.perf_counter()
    with pytest.raises(CutStopped, match=r"0\.2 s budget"):
        cut_turfs(lon, lat, AREA, 800, CutBudget(seconds=0.2))
    assert time.perf_counter() - started < 3


def test_a_cut_in_a_worker_thread_stops_when_cancelled() -> None:
    lon, lat = doors(20_000)
    budget = CutBudget()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            cut_turfs(lon, lat, AREA, 800, budget)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.2)
    cancelled_at = time.perf_counter()
    budget.cancel()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert time.perf_counter() - cancelled_at < 3
    assert isinstance(outcome[0], CutStopped)
    assert "cancelled" in str(outcome[0])


def test_a_budget_that_is_not_used_up_changes_nothing() -> None:
    lon, lat = doors(2_000)
    free = cut_turfs(lon, lat, AREA, 20)
    budgeted = cut_turfs(lon, lat, AREA, 20, CutBudget(seconds=60))
    assert [t.doors.tolist() for t in free.turfs] == [t.doors.tolist() for t in budgeted.turfs]
