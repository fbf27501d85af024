"""Fixtures of the durable-job tests: an API that queues jobs for a worker (not inline), a
worker run in this process against the test database, two live campaigns, and the clean-up
of everything they commit (campaigns, queue entries)."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import DEV_API_ROLE, Settings
from app.jobs.worker import run_worker
from app.main import create_app
from tests.builders import CampaignFixture, app_client
from tests.conftest import make_campaign


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    """IMPORT_DIR of the tests: the worker's unnamed copies of uploads go here (and leave no
    name behind)."""
    return tmp_path


@pytest.fixture
def job_settings(settings: Settings, database_url: str, spool_dir: Path) -> Settings:
    """Jobs queued for a worker; the worker as the API's login role; short delays."""
    api_url = make_url(database_url).set(username=DEV_API_ROLE, password=None)
    return settings.model_copy(
        update={
            "job_runner": "worker",
            "api_database_url": api_url.render_as_string(False),
            "import_dir": str(spool_dir),
            "worker_concurrency": 2,
            "worker_stalled_after_s": 2.0,
            "import_queue_limit": 3,
            "import_max_attempts": 3,
            "import_retry_wait_s": 0.3,
            "import_lock_timeout_s": 10.0,
        }
    )


@pytest.fixture
async def jobs_client(
    job_settings: Settings, live_sessionmaker: async_sessionmaker[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """An API process whose imports go to the queue (committed, as in production)."""
    app = create_app(job_settings, live_sessionmaker)
    async with app_client(app) as client:
        yield client


async def _live_campaign(
    live_owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> AsyncIterator[CampaignFixture]:
    camp = await make_campaign(
        live_owner_sessionmaker, settings, f"jobs-{uuid.uuid4().hex[:8]}", password_hash
    )
    yield camp
    async with live_owner_sessionmaker() as session:
        await session.execute(
            text("DELETE FROM procrastinate_jobs WHERE (args->>'campaign_id')::bigint = :c"),
            {"c": camp.id},
        )
        await session.execute(text("DELETE FROM campaign WHERE id = :c"), {"c": camp.id})
        await session.commit()


@pytest.fixture
async def camp_a(
    live_owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> AsyncIterator[CampaignFixture]:
    async for camp in _live_campaign(live_owner_sessionmaker, settings, password_hash):
        yield camp


@pytest.fixture
async def camp_b(
    live_owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> AsyncIterator[CampaignFixture]:
    async for camp in _live_campaign(live_owner_sessionmaker, settings, password_hash):
        yield camp


@pytest.fixture
def running_worker(
    job_settings: Settings,
) -> Callable[..., contextlib.AbstractAsyncContextManager[asyncio.Task[None]]]:
    """`async with running_worker(): ...`: a worker in this process for the block, stopped
    at its end (jobs under way finish first)."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[asyncio.Task[None]]:
        settings = job_settings.model_copy(update=overrides)
        task = asyncio.create_task(
            run_worker(settings, install_signal_handlers=False, poll_every_s=0.2)
        )
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)

    return run
