"""Import jobs live in PostgreSQL and a worker runs them: they survive a restart of the API,
are retried with a cap when a run fails unexpectedly, can be cancelled, and never leave their
upload behind, however they end."""

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.jobs.worker import run_worker
from app.main import create_app
from tests.builders import CampaignFixture
from tests.jobs.helpers import API, ended, queue_import, read_job, voters_file, wait_for

ROOT = Path(__file__).resolve().parents[2]
IMPORT_LOCK = 4242  # the voter importer's advisory-lock namespace (one import per campaign)


async def _count(factory: async_sessionmaker[Any], sql: str, **params: Any) -> int:
    async with factory() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


async def uploads_left(factory: async_sessionmaker[Any], job_id: int) -> int:
    return await _count(factory, "SELECT count(*) FROM import_upload WHERE job_id = :j", j=job_id)


async def people(factory: async_sessionmaker[Any], campaign_id: int) -> int:
    return await _count(
        factory, "SELECT count(*) FROM person WHERE campaign_id = :c", c=campaign_id
    )


class HeldLock:
    """The importer's advisory lock of a campaign, held by another connection: the job's run
    waits on it (a real lock wait, which `IMPORT_LOCK_TIMEOUT_S` bounds)."""

    def __init__(self, database_url: str, campaign_id: int) -> None:
        self._engine = create_async_engine(database_url, poolclass=NullPool)  # closed: released
        self._campaign_id = campaign_id
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> "HeldLock":
        self._conn = await self._engine.connect()
        await self._conn.execute(
            text("SELECT pg_advisory_lock(:ns, :c)"), {"ns": IMPORT_LOCK, "c": self._campaign_id}
        )
        return self

    async def release(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aexit__(self, *exc: object) -> None:
        await self.release()
        await self._engine.dispose()


async def test_a_job_queued_while_no_worker_runs_is_done_once_a_worker_starts(
    jobs_client: httpx.AsyncClient,
    job_settings: Settings,
    live_sessionmaker: async_sessionmaker[Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    camp_a: CampaignFixture,
    spool_dir: Path,
) -> None:
    headers = camp_a.organizer.headers
    job_id = await queue_import(jobs_client, headers, voters_file(50))
    await asyncio.sleep(0.3)
    job = await read_job(jobs_client, headers, job_id)
    assert (job["status"], job["progress"], job["attempts"]) == ("queued", None, 0)
    assert await uploads_left(live_owner_sessionmaker, job_id) == 1

    # the API "restarts": a new process (app) has nothing in memory; the job is in PostgreSQL
    restarted = create_app(job_settings, live_sessionmaker)
    transport = httpx.ASGITransport(app=restarted)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await read_job(client, headers, job_id))["status"] == "queued"
        await run_worker(job_settings, wait=False, install_signal_handlers=False)
        job = await read_job(client, headers, job_id)
    assert job["status"] == "succeeded", job
    assert (job["rows_read"], job["created"], job["attempts"]) == (50, 50, 1)
    assert job["started_at"] and job["finished_at"]
    assert await people(live_owner_sessionmaker, camp_a.id) == 50
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0
    assert os.listdir(spool_dir) == []


async def test_a_run_that_fails_unexpectedly_is_retried_after_a_backoff(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    database_url: str,
    camp_a: CampaignFixture,
) -> None:
    headers = camp_a.organizer.headers
    async with HeldLock(database_url, camp_a.id) as lock:
        job_id = await queue_import(jobs_client, headers, voters_file(20))
        async with running_worker(import_lock_timeout_s=0.3, import_retry_wait_s=1.0):
            retrying = await wait_for(
                jobs_client, headers, job_id, lambda j: j["attempts"] == 1 and j["message"]
            )
            assert retrying["status"] == "queued"
            assert retrying["message"] == "run 1 failed (a lock wait timed out); retrying in 1 s"
            await lock.release()
            job = await wait_for(jobs_client, headers, job_id, ended)
    assert (job["status"], job["attempts"], job["created"]) == ("succeeded", 2, 20), job
    assert job["message"] is None
    assert await people(live_owner_sessionmaker, camp_a.id) == 20


async def test_retries_stop_at_the_cap_and_the_job_fails_with_nothing_loaded(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    database_url: str,
    camp_a: CampaignFixture,
) -> None:
    headers = camp_a.organizer.headers
    async with HeldLock(database_url, camp_a.id):
        job_id = await queue_import(jobs_client, headers, voters_file(20))
        async with running_worker(
            import_lock_timeout_s=0.2, import_retry_wait_s=0.2, import_max_attempts=2
        ):
            job = await wait_for(jobs_client, headers, job_id, ended)
    assert (job["status"], job["attempts"]) == ("failed", 2), job
    assert job["message"] == "the import failed unexpectedly after 2 attempt(s); nothing was loaded"
    assert await people(live_owner_sessionmaker, camp_a.id) == 0
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0


async def test_a_bad_file_fails_at_once_without_a_retry_and_leaves_nothing(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    camp_a: CampaignFixture,
    spool_dir: Path,
) -> None:
    headers = camp_a.organizer.headers
    job_id = await queue_import(jobs_client, headers, b"voter_id,first_name\nV1,Ann\n")
    async with running_worker():
        job = await wait_for(jobs_client, headers, job_id, ended)
    assert (job["status"], job["attempts"]) == ("failed", 1), job
    assert "missing required column(s)" in job["message"]
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0
    assert os.listdir(spool_dir) == []


async def test_a_queued_job_is_cancelled_at_once_and_never_runs(
    jobs_client: httpx.AsyncClient,
    job_settings: Settings,
    live_owner_sessionmaker: async_sessionmaker[Any],
    camp_a: CampaignFixture,
) -> None:
    job_id = await queue_import(jobs_client, camp_a.organizer.headers, voters_file(20))
    response = await jobs_client.post(
        f"{API}/imports/{job_id}/cancel", headers=camp_a.admin.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["message"]) == (
        "cancelled",
        "cancelled on request",
    )
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0
    again = await jobs_client.post(f"{API}/imports/{job_id}/cancel", headers=camp_a.admin.headers)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"

    await run_worker(job_settings, wait=False, install_signal_handlers=False)
    job = await read_job(jobs_client, camp_a.organizer.headers, job_id)
    assert (job["status"], job["attempts"]) == ("cancelled", 0)
    assert await people(live_owner_sessionmaker, camp_a.id) == 0


async def test_a_running_job_is_aborted_by_its_worker_and_keeps_nothing(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    database_url: str,
    camp_a: CampaignFixture,
    spool_dir: Path,
) -> None:
    headers = camp_a.organizer.headers
    async with HeldLock(database_url, camp_a.id), running_worker():
        job_id = await queue_import(jobs_client, headers, voters_file(20))
        await wait_for(jobs_client, headers, job_id, lambda j: j["status"] == "running")
        response = await jobs_client.post(f"{API}/imports/{job_id}/cancel", headers=headers)
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["cancel_requested"]) == (
            "running",
            True,
        )
        job = await wait_for(jobs_client, headers, job_id, ended, within_s=10)
    assert (job["status"], job["message"]) == ("cancelled", "cancelled on request"), job
    assert await people(live_owner_sessionmaker, camp_a.id) == 0
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0
    assert os.listdir(spool_dir) == []
    ended_job = await jobs_client.post(f"{API}/imports/{job_id}/cancel", headers=headers)
    assert ended_job.status_code == 200


async def test_who_may_cancel_what(
    jobs_client: httpx.AsyncClient, camp_a: CampaignFixture, camp_b: CampaignFixture
) -> None:
    voters = await queue_import(jobs_client, camp_a.organizer.headers, voters_file(5))
    canvasser = await jobs_client.post(
        f"{API}/imports/{voters}/cancel", headers=camp_a.canvasser.headers
    )
    assert canvasser.status_code == 403
    # data entry cancels results uploads only; another campaign sees no such job
    for member in (camp_a.data_entry, camp_b.admin):
        response = await jobs_client.post(f"{API}/imports/{voters}/cancel", headers=member.headers)
        assert response.status_code == 404, response.text
    results = await queue_import(
        jobs_client,
        camp_a.data_entry.headers,
        b"list_number,line,result\n1,1,not_home\n",
        kind="canvass_results",
    )
    response = await jobs_client.post(
        f"{API}/imports/{results}/cancel", headers=camp_a.data_entry.headers
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


async def test_a_finished_job_cannot_be_cancelled(
    jobs_client: httpx.AsyncClient, job_settings: Settings, camp_a: CampaignFixture
) -> None:
    job_id = await queue_import(jobs_client, camp_a.organizer.headers, voters_file(5))
    await run_worker(job_settings, wait=False, install_signal_handlers=False)
    response = await jobs_client.post(
        f"{API}/imports/{job_id}/cancel", headers=camp_a.organizer.headers
    )
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"import {job_id} has already ended (succeeded)"


async def test_a_worker_killed_mid_import_leaves_nothing_and_its_job_runs_again(
    jobs_client: httpx.AsyncClient,
    job_settings: Settings,
    running_worker: Callable[..., Any],
    live_owner_sessionmaker: async_sessionmaker[Any],
    database_url: str,
    camp_a: CampaignFixture,
) -> None:
    headers = camp_a.organizer.headers
    env = os.environ | {
        "DATABASE_URL": database_url,
        "API_DATABASE_URL": job_settings.api_database_url,
        "SECRET_KEY": job_settings.secret_key,
        "WORKER_STALLED_AFTER_S": "2",
    }
    async with HeldLock(database_url, camp_a.id) as lock:
        job_id = await queue_import(jobs_client, headers, voters_file(20))
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from app.cli import main; main()",
            "worker",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            # its run is in its import transaction, waiting for the lock
            await wait_for(jobs_client, headers, job_id, lambda j: j["status"] == "running")
        finally:
            worker.kill()  # SIGKILL: no clean-up of any kind
            await worker.wait()
        await lock.release()
    assert (await read_job(jobs_client, headers, job_id))["status"] == "running"
    assert await people(live_owner_sessionmaker, camp_a.id) == 0

    async with running_worker():  # finds the dead worker's job once its heartbeat is 2 s old
        job = await wait_for(jobs_client, headers, job_id, ended)
    assert (job["status"], job["attempts"], job["created"]) == ("succeeded", 2, 20), job
    assert await people(live_owner_sessionmaker, camp_a.id) == 20
    assert await uploads_left(live_owner_sessionmaker, job_id) == 0
