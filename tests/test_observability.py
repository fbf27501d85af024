"""Health, readiness, metrics and the request log (issue 12, section 5)."""

import gc
import json
import logging

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.hardening import Hardening
from app.logs import JsonFormatter
from app.main import create_app
from app.observability.health import migration_heads
from tests.builders import AssignedList, CampaignFixture, app_client, sync_item


async def test_healthz_answers_without_credentials(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_is_ready_at_the_migration_head(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready"}


async def test_readyz_refuses_a_database_behind_the_code(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    (head,) = migration_heads()
    await connection.execute(text("UPDATE alembic_version SET version_num = 'f5dabe48b674'"))
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
    assert "migration head" in answer.json()["reason"]
    await connection.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})


async def test_readyz_is_503_when_the_database_does_not_answer(settings: Settings) -> None:
    unreachable = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://doorstep@127.0.0.1:9/nowhere"}
    )
    app = create_app(unreachable)
    async with app_client(app) as c:
        answer = await c.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"


def _app_with_metrics(settings: Settings, sessionmaker: object, token: str) -> httpx.AsyncClient:
    app = create_app(settings, sessionmaker, Hardening(metrics_token=token))  # type: ignore[arg-type]
    return app_client(app)


async def test_metrics_are_off_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_need_the_token_and_count_routes_and_sync_items(
    settings: Settings,
    sessionmaker: object,
    camp: CampaignFixture,
    assigned: AssignedList,
) -> None:
    async with _app_with_metrics(settings, sessionmaker, "s3cret-metrics") as c:
        assert (await c.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await c.get("/metrics", headers=wrong)).status_code == 401
        item = sync_item(assigned.walk_list, assigned.stops[0], None, result="not_home")
        synced = await c.post(
            "/api/v1/sync", json={"results": [item, item]}, headers=camp.canvasser.headers
        )
        assert synced.status_code == 200, synced.text
        answer = await c.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    body = answer.text
    assert 'route="/api/v1/sync"' in body
    assert "doorstep_sync_items_total" in body
    assert 'doorstep_sync_items_total{status="duplicate"}' in body
    assert "doorstep_db_pool_in_use" in body


async def test_metrics_show_the_job_queue_and_how_long_its_oldest_job_waits(
    settings: Settings, sessionmaker: object, connection: AsyncConnection
) -> None:
    insert = text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, status, scheduled_at)"
        " VALUES ('imports', 'run_import', CAST(:status AS procrastinate_job_status), :at)"
        " RETURNING id"
    )
    waiting = (await connection.execute(insert, {"status": "todo", "at": None})).scalar_one()
    await connection.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - interval '90 seconds' WHERE job_id = :j"
        ),
        {"j": waiting},
    )
    await connection.execute(insert, {"status": "todo", "at": None})
    await connection.execute(insert, {"status": "doing", "at": None})
    later = text("now() + interval '1 hour'")
    await connection.execute(
        text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, scheduled_at)"
            f" VALUES ('imports', 'run_import', {later.text})"
        )
    )
    async with _app_with_metrics(settings, sessionmaker, "tok") as c:
        answer = await c.get("/metrics", headers={"Authorization": "Bearer tok"})
    assert answer.status_code == 200
    gauges = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in answer.text.splitlines()
        if line.startswith("doorstep_job_")
    }
    assert gauges['doorstep_job_queue{state="waiting"}'] == 2  # the retry an hour away is not
    assert gauges['doorstep_job_queue{state="running"}'] == 1
    assert 89 <= gauges["doorstep_job_oldest_waiting_seconds"] < 200


async def test_one_log_line_per_request_without_the_query_string(
    client: httpx.AsyncClient, camp: CampaignFixture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="doorstep.request")
    answer = await client.get(
        "/api/v1/people",
        params={"q": "Margaret Hamilton"},
        headers={**camp.organizer.headers, "X-Request-ID": "req-42"},
    )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "req-42"
    (record,) = [r for r in caplog.records if r.name == "doorstep.request"]
    assert record.route == "/api/v1/people"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert record.campaign_id == camp.id  # type: ignore[attr-defined]
    line = JsonFormatter().format(record)
    assert "Margaret" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["route"] == "/api/v1/people"


async def test_an_unreachable_database_is_503_with_retry_after_not_500(
    settings: Settings,
) -> None:
    """Phones keep their results and retry on 503; a 500 would read as a bug (issue 12, 4)."""
    unreachable = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://doorstep@127.0.0.1:9/nowhere"}
    )
    app = create_app(unreachable)
    async with app_client(app) as c:
        answer = await c.post(
            "/api/v1/auth/token",
            data={"username": "a@b.test", "password": "pw", "campaign": "alpha"},
        )
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Service unavailable"


async def test_start_up_puts_what_it_made_out_of_the_collectors_sight(
    settings: Settings, sessionmaker: object
) -> None:
    """A full garbage collection holds the interpreter, and the event loop with it, for as
    long as it scans: start-up freezes what it made, so that collections scan only what
    requests make (a 140 ms pause became a few ms, tests/geography/test_geometry_limits)."""
    gc.unfreeze()
    app = create_app(settings, sessionmaker)  # type: ignore[arg-type]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # start-up sets the JSON log lines
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000
    finally:
        root.handlers, root.level = handlers, level
