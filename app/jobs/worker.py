"""The worker: `doorstep worker` runs `run_worker` until SIGINT/SIGTERM.

It has its own connection pools (procrastinate's psycopg pool for the queue, an SQLAlchemy
pool of `WORKER_DB_POOL_SIZE` for the jobs' sessions, made by the same `make_engine` as the
API's, as the API's role), so jobs never take a connection from the API's requests.
It runs `WORKER_CONCURRENCY` jobs at once; the queue lock of each campaign
(`queue.campaign_lock`) lets it run one import per campaign, so one campaign's many imports
wait their turn while other campaigns' jobs go ahead.

Stalled jobs: a worker that dies (kill -9, a lost machine) stops its heartbeat; every
`WORKER_STALLED_AFTER_S / 2` s (and at start) a worker looks for the jobs of workers silent
for `WORKER_STALLED_AFTER_S`, and puts each back in the queue (or ends it, when it has had all
its runs, or was cancelled). Their transactions died with their connections, so nothing is
half-written; their uploads are still there.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Job, Status
from sqlalchemy import text

from app.config import Settings, api_database_url
from app.db import make_engine, make_sessionmaker, session_scope
from app.jobs.imports import end_job, requeue
from app.jobs.queue import IMPORT_TASK, QUEUE, conninfo
from app.jobs.tasks import ImportRetry, JobRuntime, register_tasks

log = logging.getLogger("doorstep.jobs")

_RECOVERY_LOCK = 4244  # advisory lock: one worker at a time recovers stalled jobs


@dataclass(frozen=True)
class Worker:
    """A worker's procrastinate app (tasks registered), retry strategy and runtime."""

    app: App
    strategy: ImportRetry
    runtime: JobRuntime


@contextlib.asynccontextmanager
async def open_worker(settings: Settings) -> AsyncIterator[Worker]:
    """A worker's pools, open: the queue's (psycopg) and the jobs' (SQLAlchemy), both its own."""
    url = api_database_url(settings)  # the API's role: row-level security holds the jobs too
    pool = settings.model_copy(update={"db_pool_size": settings.worker_db_pool_size})
    engine = make_engine(pool, url)
    runtime = JobRuntime(settings, make_sessionmaker(engine))
    connector = PsycopgConnector(
        conninfo=conninfo(url),
        min_size=1,
        max_size=settings.worker_concurrency + 2,
        kwargs={"application_name": "doorstep-worker"},
    )
    app = App(connector=connector)
    strategy = register_tasks(app, runtime)
    try:
        async with app.open_async():
            yield Worker(app, strategy, runtime)
    finally:
        await engine.dispose()


async def recover_stalled(worker: Worker) -> int:
    """Put the jobs of dead workers back in the queue, or end them; how many were found."""
    settings = worker.runtime.settings
    async with session_scope(worker.runtime.factory) as session:
        got = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:ns, 0)"), {"ns": _RECOVERY_LOCK}
        )
        if not got:
            return 0
        stalled = list(
            await worker.app.job_manager.get_stalled_jobs(
                queue=QUEUE,
                task_name=IMPORT_TASK,
                seconds_since_heartbeat=settings.worker_stalled_after_s,
            )
        )
        for job in stalled:
            await _recover(worker, job)
    return len(stalled)


async def _recover(worker: Worker, job: Job) -> None:
    factory, manager = worker.runtime.factory, worker.app.job_manager
    campaign_id, job_id = job.task_kwargs["campaign_id"], job.task_kwargs["import_job_id"]
    assert isinstance(campaign_id, int) and isinstance(job_id, int)
    run = job.attempts + 1
    wait = worker.strategy.wait_after(asyncio.CancelledError(), run)
    log.warning("import job %s: its worker died during run %s", job_id, run)
    # the job's row first: a worker that picks the job up again finds it queued
    if wait is None:
        message = f"the worker running it stopped {run} time(s); nothing was loaded"
        await end_job(factory, campaign_id, job_id, "failed", message)
        await manager.finish_job(job, Status.FAILED, delete_job=False)
        return
    message = f"run {run} stopped with its worker; retrying in {wait:g} s"
    if await requeue(factory, campaign_id, job_id, run, message):
        await end_job(factory, campaign_id, job_id, "cancelled", "cancelled on request")
        await manager.finish_job(job, Status.ABORTED, delete_job=False)
        return
    await manager.retry_job(job, retry_at=datetime.now(UTC) + timedelta(seconds=wait))


async def _recover_forever(worker: Worker) -> None:
    every = max(1.0, worker.runtime.settings.worker_stalled_after_s / 2)
    while True:
        try:
            await recover_stalled(worker)
        except Exception:
            log.exception("stalled-job recovery failed; trying again later")
        await asyncio.sleep(every)


async def run_worker(
    settings: Settings,
    *,
    wait: bool = True,
    install_signal_handlers: bool = True,
    poll_every_s: float = 5.0,
) -> None:
    """Run a worker on the import queue: until stopped (SIGINT/SIGTERM, or the task that runs
    it cancelled: running jobs are finished first), or with `wait=False` until the queue has
    no job ready (tests, benchmarks)."""
    heartbeat = max(0.5, min(10.0, settings.worker_stalled_after_s / 3))
    async with open_worker(settings) as worker:
        recovery = asyncio.create_task(_recover_forever(worker))
        try:
            await worker.app.run_worker_async(
                queues=[QUEUE],
                name="doorstep-worker",
                concurrency=max(1, settings.worker_concurrency),
                wait=wait,
                install_signal_handlers=install_signal_handlers,
                fetch_job_polling_interval=poll_every_s,
                abort_job_polling_interval=poll_every_s,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=settings.worker_stalled_after_s,
                delete_jobs="successful",
            )
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
