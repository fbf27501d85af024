"""A sync that loses a deadlock is run again within its request, and answers as if nothing
happened (issue 12: "deadlocks and serialisation failures are retried within the request").

The deadlock is built on purpose, on committed data: another transaction holds a person on
the list, the sync flags a door (locking it) and then waits for that person, and the other
transaction then asks for the door. PostgreSQL cancels the sync (it waited first); its
savepoint rolls back, the other transaction finishes, and the sync's second run succeeds.
"""

import asyncio
import time

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.observability.metrics import REGISTRY
from tests.builders import CampaignFixture, build_assigned_list, send_sync, sync_item


def _deadlocks_retried() -> float:
    value = REGISTRY.get_sample_value("doorstep_db_conflict_retries_total", {"reason": "deadlock"})
    return value or 0.0


async def _wait_for_a_lock_wait(conn: asyncpg.Connection, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the sync never waited for the person's lock")


async def test_a_sync_that_loses_a_deadlock_is_retried_and_stores_everything_once(
    live_client: httpx.AsyncClient, live_camp: CampaignFixture, database_url: str
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    door, person_stop = assigned.stops[0], assigned.stops[1]
    person = person_stop["people"][0]
    batch = [
        sync_item(assigned.walk_list, door, None, "wrong_address"),
        sync_item(assigned.walk_list, person_stop, person, "canvassed"),
    ]
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    other, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    before = _deadlocks_retried()
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute("UPDATE person SET updated_at = now() WHERE id = $1", person["id"])
        syncing = asyncio.create_task(send_sync(live_client, live_camp.canvasser.headers, batch))
        await _wait_for_a_lock_wait(watcher)
        # the cycle: the sync holds the door and waits for the person; we ask for the door
        await other.execute(
            "UPDATE household SET updated_at = now() WHERE id = $1", door["household_id"]
        )
        await transaction.commit()
        answer = await asyncio.wait_for(syncing, timeout=30)
    finally:
        await other.close()
        await watcher.close()
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["created", "created"]
    assert _deadlocks_retried() == before + 1
    stored = await send_sync(live_client, live_camp.canvasser.headers, batch)
    assert [r["status"] for r in stored.json()["results"]] == ["duplicate", "duplicate"]
