"""A saturated process sheds load: 503 with Retry-After at once, never a 500 after a pool
timeout, while the requests it admitted finish normally (issue 12, section 2)."""

import asyncio
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import Settings
from app.hardening import Hardening
from app.main import create_app
from app.observability.metrics import REGISTRY
from tests.builders import (
    API,
    CampaignFixture,
    app_client,
    build_assigned_list,
    send_sync,
    sync_item,
)


def _shed() -> float:
    return REGISTRY.get_sample_value("doorstep_requests_shed_total") or 0.0


async def test_past_its_limit_the_api_answers_503_and_keeps_what_it_admitted(
    settings: Settings,
    live_sessionmaker: async_sessionmaker[Any],
    live_client: httpx.AsyncClient,
    live_camp: CampaignFixture,
    database_url: str,
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    stop = assigned.stops[0]
    person = stop["people"][0]
    one_at_a_time = Hardening(max_concurrent_requests=1, admission_wait_s=0.1)
    app = create_app(settings, live_sessionmaker, one_at_a_time)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    blocker = await asyncpg.connect(dsn)
    before = _shed()
    async with app_client(app) as client:
        try:
            held = blocker.transaction()
            await held.start()  # the sync will wait for this person's row
            await blocker.execute("SELECT 1 FROM person WHERE id = $1 FOR UPDATE", person["id"])
            item = sync_item(assigned.walk_list, stop, person, "canvassed")
            slow = asyncio.create_task(send_sync(client, live_camp.canvasser.headers, [item]))
            await asyncio.sleep(0.3)  # the sync holds the one place
            shed = await client.get(f"{API}/me", headers=live_camp.admin.headers)
            health = await client.get("/healthz")
            await held.rollback()
            admitted = await asyncio.wait_for(slow, timeout=30)
        finally:
            await blocker.close()
        after = await client.get(f"{API}/me", headers=live_camp.admin.headers)
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert shed.headers["content-type"] == "application/problem+json"
    assert health.status_code == 200  # health checks are never gated
    assert admitted.status_code == 200
    assert admitted.json()["results"][0]["status"] == "created"
    assert after.status_code == 200  # the place is given back
    assert _shed() == before + 1
