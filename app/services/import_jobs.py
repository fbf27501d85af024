"""Import jobs: queued by a request, run outside it, observed by polling GET /imports/{id}.

The job row is committed before its work starts, and the data and the job's final counts are
committed together, so a job that says `succeeded` always describes what is in the database.
Jobs run in this process; a restart marks unfinished ones failed (start-up calls
`fail_interrupted_jobs`) so nobody waits forever on a job that no longer runs.
"""

import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import session_scope
from app.errors import NotFound
from app.models import ImportJob, Role
from app.schemas.imports import ImportJobOut
from app.services.access.tenancy import Tenant, get_owned
from app.services.canvass.results_upload import import_canvass_results
from app.services.voter_file.importer import CsvFileError, import_voters

log = logging.getLogger("doorstep.imports")


class Outcome(Protocol):
    """What a finished job reports (every runner's result has these)."""

    rows_read: int
    created: int
    updated: int
    rejected: int
    duplicates: int
    without_precinct: int
    errors: list[dict[str, Any]]


Runner = Callable[[AsyncSession, Tenant, IO[bytes]], Awaitable[Outcome]]
RUNNERS: dict[str, Runner] = {
    "voters": lambda session, tenant, stream: import_voters(session, tenant.campaign_id, stream),
    "canvass_results": import_canvass_results,
}
# Data entry sees the jobs of the kinds it may start; the voter file is for organizers.
DATA_ENTRY_KINDS = ("canvass_results",)


async def queue_job(
    session: AsyncSession, tenant: Tenant, kind: str, filename: str | None
) -> ImportJob:
    job = ImportJob(
        campaign_id=tenant.campaign_id, kind=kind, filename=filename, created_by=tenant.user_id
    )
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, tenant: Tenant, job_id: int) -> ImportJobOut:
    job = await get_owned(session, tenant, ImportJob, job_id)
    if tenant.role == Role.data_entry and job.kind not in DATA_ENTRY_KINDS:
        raise NotFound(f"import_job {job_id} not found")
    return ImportJobOut.model_validate(job, from_attributes=True)


async def _set(
    factory: async_sessionmaker[AsyncSession], campaign_id: int, job_id: int, **values: Any
) -> None:
    async with session_scope(factory) as session:
        await session.execute(
            update(ImportJob)
            .where(ImportJob.campaign_id == campaign_id, ImportJob.id == job_id)  # type: ignore[arg-type]
            .values(**values)
        )


async def run_job(
    factory: async_sessionmaker[AsyncSession], tenant: Tenant, job_id: int, kind: str, path: str
) -> None:
    """Run one queued job on the file at `path`, as the user who queued it; delete the file."""
    campaign_id = tenant.campaign_id
    try:
        await _set(factory, campaign_id, job_id, status="running", started_at=datetime.now(UTC))
        try:
            async with session_scope(factory) as session:
                with open(path, "rb") as stream:  # noqa: ASYNC230 (read in worker threads)
                    result = await RUNNERS[kind](session, tenant, stream)
                await session.execute(
                    update(ImportJob)
                    .where(ImportJob.campaign_id == campaign_id, ImportJob.id == job_id)  # type: ignore[arg-type]
                    .values(
                        status="succeeded",
                        finished_at=datetime.now(UTC),
                        rows_read=result.rows_read,
                        created=result.created,
                        updated=result.updated,
                        rejected=result.rejected,
                        duplicates=result.duplicates,
                        without_precinct=result.without_precinct,
                        errors=result.errors,
                    )
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
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


async def fail_interrupted_jobs(factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(factory) as session:
        await session.execute(
            update(ImportJob)
            .where(ImportJob.status.in_(("queued", "running")))  # type: ignore[attr-defined]
            .values(
                status="failed",
                message="interrupted by a server restart; upload the file again",
                finished_at=datetime.now(UTC),
            )
        )
