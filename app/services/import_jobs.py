"""Import jobs: queued by a request, run outside it, observed by polling GET /imports/{id}.

The job row is committed before its work starts, and the data and the job's final counts are
committed together, so a job that says `succeeded` always describes what is in the database.
Jobs run in this process; a restart marks unfinished ones failed (start-up calls
`fail_interrupted_jobs`) so nobody waits forever on a job that no longer runs.
"""

import contextlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import IO, Any

from fastapi import UploadFile
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.db import session_scope
from app.errors import NotFound, Unprocessable
from app.models import ImportJob, Role
from app.schemas.imports import ImportJobOut
from app.services.access.tenancy import Tenant, get_owned
from app.services.canvass.results_upload import import_canvass_results
from app.services.import_outcome import ImportOutcome
from app.services.voter_file.importer import CsvFileError, import_voters

log = logging.getLogger("doorstep.imports")

Runner = Callable[[AsyncSession, Tenant, IO[bytes]], Awaitable[ImportOutcome]]
RUNNERS: dict[str, Runner] = {
    "voters": import_voters,
    "canvass_results": import_canvass_results,
}
# Data entry sees the jobs of the kinds it may start; the voter file is for organizers.
DATA_ENTRY_KINDS = ("canvass_results",)
CHUNK = 1 << 20


@dataclass(frozen=True)
class QueuedImport:
    """A job row written and its upload spooled to `path`, waiting for `run_job`."""

    job_id: int
    kind: str
    path: str


async def _spool(upload: UploadFile, directory: str | None) -> str:
    """Copy the upload to a file the job can read after the request has ended."""
    fd, path = tempfile.mkstemp(prefix="doorstep-import-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
    except BaseException:
        _remove(path)
        raise
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def queue_upload(
    session: AsyncSession,
    tenant: Tenant,
    kind: str,
    upload: UploadFile,
    spool_dir: str | None,
) -> QueuedImport:
    """Write the job row and spool its file; `run_job` does the work after the request.

    On any failure nothing is left behind: no row (the request's transaction rolls back) and
    no spooled file."""
    if not upload.filename and not upload.size:
        raise Unprocessable.on_field("body.file", "empty", "The upload is empty")
    if upload.filename and "\x00" in upload.filename:
        raise Unprocessable.on_field("body.file", "the file name holds a NUL character")
    path = await _spool(upload, spool_dir)
    try:
        job = ImportJob(
            campaign_id=tenant.campaign_id,
            kind=kind,
            filename=upload.filename,
            created_by=tenant.user_id,
        )
        session.add(job)
        await session.flush()
    except BaseException:
        _remove(path)
        raise
    assert job.id is not None
    return QueuedImport(job.id, kind, path)


async def get_job(session: AsyncSession, tenant: Tenant, job_id: int) -> ImportJobOut:
    """A job's outcome; data entry sees only the kinds it may start."""
    job = await get_owned(session, tenant, ImportJob, job_id)
    if tenant.role == Role.data_entry and job.kind not in DATA_ENTRY_KINDS:
        raise NotFound(f"import_job {job_id} not found")
    return ImportJobOut.model_validate(job, from_attributes=True)


async def _set(
    factory: async_sessionmaker[AsyncSession], campaign_id: int, job_id: int, **values: Any
) -> None:
    async with session_scope(factory, campaign_id) as session:
        await session.execute(
            update(ImportJob)
            .where(col(ImportJob.campaign_id) == campaign_id, col(ImportJob.id) == job_id)
            .values(**values)
        )


async def run_job(
    factory: async_sessionmaker[AsyncSession], tenant: Tenant, queued: QueuedImport
) -> None:
    """Run one queued job on its spooled file, as the user who queued it; delete the file."""
    campaign_id, job_id, path = tenant.campaign_id, queued.job_id, queued.path
    try:
        await _set(factory, campaign_id, job_id, status="running", started_at=datetime.now(UTC))
        try:
            async with session_scope(factory, campaign_id) as session:
                with open(path, "rb") as stream:  # noqa: ASYNC230 (read in worker threads)
                    result = await RUNNERS[queued.kind](session, tenant, stream)
                await session.execute(
                    update(ImportJob)
                    .where(col(ImportJob.campaign_id) == campaign_id, col(ImportJob.id) == job_id)
                    .values(status="succeeded", finished_at=datetime.now(UTC), **asdict(result))
                )
        except CsvFileError as exc:
            await _set(
                factory,
                campaign_id,
                job_id,
                status="failed",
                message=str(exc),
                finished_at=datetime.now(UTC),
            )
        except Exception:
            log.exception("import job %s failed", job_id)
            await _set(
                factory,
                campaign_id,
                job_id,
                status="failed",
                message="the import failed unexpectedly; nothing was loaded",
                finished_at=datetime.now(UTC),
            )
    finally:
        _remove(path)


async def fail_interrupted_jobs(factory: async_sessionmaker[AsyncSession]) -> None:
    """At start-up: jobs that were queued or running when the server stopped will never end."""
    async with session_scope(factory) as session:
        await session.execute(
            update(ImportJob)
            .where(col(ImportJob.status).in_(("queued", "running")))
            .values(
                status="failed",
                message="interrupted by a server restart; upload the file again",
                finished_at=datetime.now(UTC),
            )
        )
