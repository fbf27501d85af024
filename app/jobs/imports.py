"""Running one import job, wherever it runs (the worker's task, or inline in tests).

A run: mark the job `running` (its own short transaction, so `GET /imports/{id}` shows it),
copy the upload to an unnamed temporary file, run the importer in ONE transaction with the
job's ending (`succeeded`, the counts, the upload deleted): a run cut short anywhere leaves no
half-written data. Other endings are written in a fresh transaction after the import's has
rolled back:
- a bad file (`CsvFileError`): `failed` with the reason, final, never retried;
- cancelled by a user (the worker cancels the run): `cancelled`;
- anything else: back to `queued` with the reason and the retry's delay, or, when the retry
  strategy gives up, `failed`. The exception is raised again for the queue to retry.
Every final ending deletes the upload.

Progress is kept by `ProgressWriter` from the importer's callback and written at most once a
`progress_every` seconds on a connection of its own (the import's transaction is open, its
writes invisible), so it shows while the job runs.
"""

import asyncio
import contextlib
import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from types import TracebackType
from typing import IO, Any, Self

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import session_scope
from app.jobs import uploads
from app.models import Role
from app.observability import metrics
from app.services.access.tenancy import Tenant
from app.services.canvass.results_upload import import_canvass_results
from app.services.import_outcome import ImportOutcome, ImportProgress, ProgressCallback
from app.services.voter_file.importer import CsvFileError, import_voters

log = logging.getLogger("doorstep.jobs")

Runner = Callable[
    [AsyncSession, Tenant, IO[bytes], ProgressCallback | None], Awaitable[ImportOutcome]
]
RUNNERS: dict[str, Runner] = {
    "voters": import_voters,
    "canvass_results": import_canvass_results,
}
# The job runs with the least role that may start its kind (the importers use the user id).
RUN_AS = {"voters": Role.organizer, "canvass_results": Role.data_entry}

_START = text(
    "UPDATE import_job SET status = 'running', attempts = :attempt, message = NULL,"
    " started_at = coalesce(started_at, now()), stage = 'reading', rows_done = 0,"
    " rows_total = NULL, bytes_done = 0, progress_at = clock_timestamp()"
    " WHERE campaign_id = :c AND id = :j AND status IN ('queued', 'running')"
    " AND cancel_requested_at IS NULL RETURNING kind, created_by"
)
# A job whose cancellation was asked between its pick-up and its start ends here.
_CANCEL_IF_ASKED = text(
    "UPDATE import_job SET status = 'cancelled', message = 'cancelled on request',"
    " finished_at = clock_timestamp(), stage = NULL WHERE campaign_id = :c AND id = :j"
    " AND status IN ('queued', 'running') AND cancel_requested_at IS NOT NULL RETURNING id"
)
_PROGRESS = text(
    "UPDATE import_job SET stage = :stage, rows_done = :rows_done, rows_total = :rows_total,"
    " bytes_done = :bytes_done, progress_at = clock_timestamp()"
    " WHERE campaign_id = :c AND id = :j AND status = 'running'"
)
_SUCCEEDED = text(
    "UPDATE import_job SET status = 'succeeded', finished_at = clock_timestamp(), stage = NULL,"
    " rows_read = :rows_read, created = :created, updated = :updated, rejected = :rejected,"
    " duplicates = :duplicates, without_precinct = :without_precinct,"
    " errors = CAST(:errors AS jsonb), rows_done = :rows_read"
    " WHERE campaign_id = :c AND id = :j"
)
_END = text(
    "UPDATE import_job SET status = :status, message = :message, finished_at = clock_timestamp(),"
    " stage = NULL WHERE campaign_id = :c AND id = :j AND status IN ('queued', 'running')"
)
_REQUEUE = text(
    "UPDATE import_job SET status = 'queued', message = :message, stage = NULL"
    " WHERE campaign_id = :c AND id = :j AND status = 'running' AND attempts = :attempt"
    " RETURNING cancel_requested_at IS NOT NULL"
)

UNEXPECTED = "the import failed unexpectedly after {n} attempt(s); nothing was loaded"


class UploadMissing(CsvFileError):
    """The job's upload is not there (deleted by hand): final, like a bad file."""


async def end_job(
    factory: async_sessionmaker[AsyncSession],
    campaign_id: int,
    job_id: int,
    status: str,
    message: str | None,
) -> None:
    """A final ending (failed, cancelled) of a job not yet ended; its upload deleted."""
    async with session_scope(factory, campaign_id) as session:
        params = {"c": campaign_id, "j": job_id, "status": status, "message": message}
        await session.execute(_END, params)
        await uploads.delete(session, campaign_id, job_id)


async def requeue(
    factory: async_sessionmaker[AsyncSession],
    campaign_id: int,
    job_id: int,
    attempt: int,
    message: str,
) -> bool:
    """Back to `queued` after the failed run `attempt`; whether a user asked to cancel it."""
    async with session_scope(factory, campaign_id) as session:
        params = {"c": campaign_id, "j": job_id, "attempt": attempt, "message": message}
        return bool(await session.scalar(_REQUEUE, params))


class ProgressWriter:
    """The importer's progress callback: keeps the latest report, and (with `every`) writes
    it every `every` seconds in a short transaction of its own while the import runs."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        campaign_id: int,
        job_id: int,
        every: float | None,
    ) -> None:
        self._factory, self._campaign_id, self._job_id = factory, campaign_id, job_id
        self._every = every
        self._latest: ImportProgress | None = None
        self._written: ImportProgress | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __call__(self, progress: ImportProgress) -> None:
        self._latest = progress

    async def __aenter__(self) -> Self:
        if self._every is not None:
            self._task = asyncio.create_task(self._loop(self._every))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop writing (after the write under way, if any)."""
        self._stop.set()
        if self._task is not None:
            await asyncio.shield(self._task)
            self._task = None

    async def _loop(self, every: float) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), every)
            if not self._stop.is_set():
                await self._write()

    async def _write(self) -> None:
        latest = self._latest
        if latest is None or latest == self._written:
            return
        try:
            async with session_scope(self._factory, self._campaign_id) as session:
                await session.execute(
                    _PROGRESS, {"c": self._campaign_id, "j": self._job_id, **asdict(latest)}
                )
            self._written = latest
        except Exception:  # progress is a courtesy: the import goes on without it
            log.warning("import job %s: progress not written", self._job_id, exc_info=True)


async def _start(
    factory: async_sessionmaker[AsyncSession], campaign_id: int, job_id: int, attempt: int
) -> tuple[Tenant, str] | None:
    """Mark the job running (run `attempt`); who it runs as and its kind, or None when it is
    not to run: cancelled (also when asked since its pick-up: it ends so here), or gone with
    its campaign."""
    params = {"c": campaign_id, "j": job_id, "attempt": attempt}
    async with session_scope(factory, campaign_id) as session:
        row = (await session.execute(_START, params)).one_or_none()
        if row is None:
            if await session.scalar(_CANCEL_IF_ASKED, {"c": campaign_id, "j": job_id}):
                await uploads.delete(session, campaign_id, job_id)
            return None
    kind, created_by = row
    return Tenant(campaign_id=campaign_id, user_id=created_by, role=RUN_AS[kind]), kind


async def _import(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenant: Tenant,
    kind: str,
    job_id: int,
    progress_every: float | None,
) -> None:
    campaign_id = tenant.campaign_id
    with tempfile.TemporaryFile(dir=settings.import_dir or None) as stream:
        async with session_scope(factory, campaign_id) as session:
            if not await uploads.copy_to(session, campaign_id, job_id, stream):
                raise UploadMissing("the uploaded file is gone; upload it again")
        await asyncio.to_thread(stream.seek, 0)
        progress = ProgressWriter(factory, campaign_id, job_id, progress_every)
        async with progress, session_scope(factory, campaign_id) as session:
            timeout = f"{int(settings.import_lock_timeout_s * 1000)}ms"
            await session.execute(
                text("SELECT set_config('lock_timeout', :v, true)"), {"v": timeout}
            )
            outcome = await RUNNERS[kind](session, tenant, stream, progress)
            await progress.stop()  # before the ending's UPDATE of the same row
            values: dict[str, Any] = asdict(outcome)
            values["errors"] = json.dumps(values["errors"])
            await session.execute(_SUCCEEDED, {"c": campaign_id, "j": job_id, **values})
            await uploads.delete(session, campaign_id, job_id)


def failure_reason(exc: BaseException) -> str:
    """What went wrong, for the job's message and the log: the kind of failure, never its
    text (a database error's text can quote the row's personal data)."""
    if isinstance(exc, asyncio.CancelledError):
        return "the worker stopped"
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None)
        if code == "55P03":
            return "a lock wait timed out"
        if code in ("40001", "40P01"):
            return "a conflict with concurrent writes"
        return f"database error {code or type(exc.orig).__name__}"
    return type(exc).__name__


async def _after_failure(
    factory: async_sessionmaker[AsyncSession],
    campaign_id: int,
    job_id: int,
    attempt: int,
    exc: BaseException,
    wait: float | None,
) -> None:
    reason = failure_reason(exc)
    if wait is None:
        log.error("import job %s: run %s failed (%s), giving up", job_id, attempt, reason)
        await end_job(factory, campaign_id, job_id, "failed", UNEXPECTED.format(n=attempt))
        return
    log.warning("import job %s: run %s failed (%s), retry in %.0f s", job_id, attempt, reason, wait)
    message = f"run {attempt} failed ({reason}); retrying in {wait:g} s"
    if await requeue(factory, campaign_id, job_id, attempt, message):
        await end_job(factory, campaign_id, job_id, "cancelled", "cancelled on request")


async def run_import(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    campaign_id: int,
    job_id: int,
    *,
    attempt: int,
    retry_in: Callable[[BaseException], float | None],
    cancelled_by_user: Callable[[], bool],
    progress_every: float | None,
) -> None:
    """Run import job `job_id` (its run number `attempt`) and write how it ended. Returns when
    the job has ended or is not to run; raises again what should make the queue retry it
    (`retry_in(exc)`: the delay before the next run, None when there is none)."""
    began, kind, outcome = time.perf_counter(), None, "failed"
    try:
        started = await _start(factory, campaign_id, job_id, attempt)
        if started is None:
            return
        tenant, kind = started
        await _import(factory, settings, tenant, kind, job_id, progress_every)
        outcome = "succeeded"
    except CsvFileError as exc:
        await end_job(factory, campaign_id, job_id, "failed", str(exc))
    except (Exception, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError) and cancelled_by_user():
            outcome = "cancelled"
            await end_job(factory, campaign_id, job_id, "cancelled", "cancelled on request")
        else:
            outcome = "interrupted"  # retried, or failed when no run is left
            await _after_failure(factory, campaign_id, job_id, attempt, exc, retry_in(exc))
        raise
    finally:
        if kind is not None:
            elapsed = time.perf_counter() - began
            metrics.JOB_SECONDS.labels(kind=kind, outcome=outcome).observe(elapsed)


async def run_inline(
    factory: async_sessionmaker[AsyncSession], settings: Settings, campaign_id: int, job_id: int
) -> None:
    """`JOB_RUNNER=inline` (the tests' rolled-back transaction, which no worker can see): run
    the job once, in this process, after the response; no retry, no progress writes (one
    connection cannot serve two sessions at once)."""
    try:
        await run_import(
            factory,
            settings,
            campaign_id,
            job_id,
            attempt=1,
            retry_in=lambda _: None,
            cancelled_by_user=lambda: False,
            progress_every=None,
        )
    except Exception:
        log.exception("import job %s failed", job_id)
