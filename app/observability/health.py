"""Liveness, readiness and metrics, outside `/api/v1`: they are for the load balancer and the
monitoring, not for clients.

- `GET /healthz`: the process answers (no database: a restarting database must not get the
  API processes killed).
- `GET /readyz`: the database answers and its schema is at the code's migration head; 503
  with `Retry-After` otherwise, so a balancer sends no traffic to a process that cannot serve.
- `GET /metrics`: Prometheus text, only with `Authorization: Bearer <METRICS_TOKEN>`; without
  a token configured it does not exist (404), since route names and volumes are not public.
"""

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound, Unauthorized
from app.observability import metrics

router = APIRouter(tags=["operations"])
log = logging.getLogger("doorstep")
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 2.0


@lru_cache
def migration_heads() -> frozenset[str]:
    """The revisions the code expects the database to be at."""
    config = Config()
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _not_ready(reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", "reason": reason},
        status_code=503,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )


@asynccontextmanager
async def _bounded_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose statements give up after READY_TIMEOUT_S: a check must answer, not hang
    on a database that does not."""
    async with request.app.state.sessionmaker() as session:
        await session.execute(
            text("SELECT set_config('statement_timeout', :t, true)"),
            {"t": f"{int(READY_TIMEOUT_S * 1000)}ms"},
        )
        yield session


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    try:
        async with _bounded_session(request) as session:
            rows = await session.execute(text("SELECT version_num FROM alembic_version"))
            versions = frozenset(rows.scalars().all())
    except Exception as exc:  # any failure to reach or read the database: not ready
        log.warning("not ready: %s", type(exc).__name__)
        return _not_ready("the database does not answer")
    if versions != migration_heads():
        return _not_ready("the database schema is not at the code's migration head")
    return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})


async def _queue_snapshot(request: Request) -> metrics.QueueSnapshot | None:
    """The job queue now; None (and the rest of the metrics anyway) when the database fails."""
    try:
        async with _bounded_session(request) as session:
            rows = (await session.execute(text(metrics.QUEUE_STATE))).all()
    except Exception as exc:  # the metrics must not fail with the database
        log.warning("job queue not read for /metrics: %s", type(exc).__name__)
        return None
    states = {row.status: row for row in rows}
    todo, doing = states.get("todo"), states.get("doing")
    return metrics.QueueSnapshot(
        waiting=todo.jobs if todo else 0,
        running=doing.jobs if doing else 0,
        oldest_waiting_s=float(todo.oldest_s) if todo else 0.0,
    )


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    token: str = request.app.state.hardening.metrics_token
    if not token:
        raise NotFound("not found")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized()
    queue = await _queue_snapshot(request)
    return Response(
        metrics.render(queue),
        media_type=metrics.CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
