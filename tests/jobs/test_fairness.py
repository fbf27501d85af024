"""One campaign cannot starve the others (issue 11, item 11): a campaign queues at most
`IMPORT_QUEUE_LIMIT` imports (then 429), the worker runs one import per campaign at a time,
and another campaign's requests and imports go ahead meanwhile."""

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.builders import CampaignFixture
from tests.jobs.helpers import API, ended, queue_import, read_job, voters_file, wait_for


async def test_a_campaign_with_its_queue_full_gets_a_429_naming_the_limit(
    jobs_client: httpx.AsyncClient, camp_a: CampaignFixture, camp_b: CampaignFixture
) -> None:
    waiting = [
        await queue_import(jobs_client, camp_a.organizer.headers, voters_file(3)) for _ in range(3)
    ]
    response = await jobs_client.post(
        f"{API}/imports/voters",
        files={"file": ("v.csv", voters_file(3), "text/csv")},
        headers=camp_a.organizer.headers,
    )
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "30"
    assert "IMPORT_QUEUE_LIMIT = 3" in response.json()["detail"]
    # the limit is the campaign's: another campaign queues, and a cancelled job frees a place
    await queue_import(jobs_client, camp_b.organizer.headers, voters_file(3))
    cancel = await jobs_client.post(
        f"{API}/imports/{waiting[0]}/cancel", headers=camp_a.organizer.headers
    )
    assert cancel.status_code == 200
    await queue_import(jobs_client, camp_a.organizer.headers, voters_file(3))


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_one_campaigns_imports_do_not_starve_another_campaign(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    camp_a: CampaignFixture,
    camp_b: CampaignFixture,
) -> None:
    a_jobs = [
        await queue_import(jobs_client, camp_a.organizer.headers, voters_file(3_000, f"A{n}"))
        for n in range(3)
    ]
    b_job = await queue_import(jobs_client, camp_b.organizer.headers, voters_file(500, "B"))
    me_ms: list[float] = []
    async with running_worker(worker_concurrency=2):
        while True:
            started = time.perf_counter()
            me = await jobs_client.get(f"{API}/me", headers=camp_b.organizer.headers)
            me_ms.append((time.perf_counter() - started) * 1000)
            assert me.status_code == 200
            jobs = [await read_job(jobs_client, camp_a.organizer.headers, j) for j in a_jobs]
            if all(ended(j) for j in jobs):
                break
            await asyncio.sleep(0.05)
        b = await wait_for(jobs_client, camp_b.organizer.headers, b_job, ended)
    assert [j["status"] for j in jobs] == ["succeeded"] * 3 and b["status"] == "succeeded"
    # one import of campaign A at a time, in the order queued
    for earlier, later in itertools.pairwise(jobs):
        assert _at(earlier["finished_at"]) <= _at(later["started_at"])
    # B's import did not wait for all of A's: it started before A's last one
    assert _at(b["started_at"]) < _at(jobs[-1]["started_at"])
    me_ms.sort()
    p95 = me_ms[int(len(me_ms) * 0.95)]
    print(
        f"/me while A's imports ran: n={len(me_ms)} p50={me_ms[len(me_ms) // 2]:.0f} ms "
        f"p95={p95:.0f} ms max={me_ms[-1]:.0f} ms"
    )
    assert p95 < 200, me_ms
