"""Import jobs as the API sees them: queued by a request, observed by polling, cancelled.

A request writes the job's row, its upload (`app.jobs.uploads`) and its queue entry
(`app.jobs.queue`) in its own transaction: the job exists whole or not at all, and survives
any restart. `doorstep worker` runs it (`app.jobs.imports`); with `JOB_RUNNER=inline` (tests
only) the request runs it after its response instead, in this process.

Fairness between campaigns: the worker runs one import per campaign at a time (the queue's
campaign lock), and a campaign may have `IMPORT_QUEUE_LIMIT` imports waiting; one more is a
429 naming the limit, so that one campaign cannot fill the queue.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import UploadFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from app.jobs import queue, uploads
from app.models import ImportJob, Role
from app.schemas.imports import ImportJobOut, ImportProgressOut
from app.services.access.tenancy import Tenant, tenant_select

# Data entry sees the jobs of the kinds it may start; the voter file is for organizers.
DATA_ENTRY_KINDS = ("canvass_results",)
# The share of a job's time spent reading its file (the rest: writing), for the ETA: about
# half for a voter file (make bench-import); a results upload is all writing.
READING_SHARE = {"voters": 0.5, "canvass_results": 0.0}
_QUEUEING_LOCK = 4243  # advisory-lock namespace: "a request is queueing an import of campaign N"
RETRY_AFTER_S = 30


@dataclass(frozen=True)
class QueuedImport:
    """A job row written with its upload (and its queue entry, with a worker)."""

    job_id: int
    kind: str


async def _check_queue_limit(session: AsyncSession, campaign_id: int, limit: int) -> None:
    """429 when the campaign already has `limit` imports waiting. Requests of one campaign
    queue one at a time here (a transaction lock), so two cannot both take the last place."""
    await session.execute(
        select(func.pg_advisory_xact_lock(_QUEUEING_LOCK, campaign_id))  # not a tenant table
    )
    waiting = await session.scalar(
        select(func.count())
        .select_from(ImportJob)
        .where(col(ImportJob.campaign_id) == campaign_id, col(ImportJob.status) == "queued")
    )
    if (waiting or 0) >= limit:
        raise TooManyRequests(
            f"This campaign already has {waiting} imports waiting to run, the most it may "
            f"queue (IMPORT_QUEUE_LIMIT = {limit}); try again when one has started.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


async def queue_upload(
    session: AsyncSession, tenant: Tenant, kind: str, upload: UploadFile, settings: Settings
) -> QueuedImport:
    """Write the job, its upload and its queue entry (committed with the request)."""
    if not upload.filename and not upload.size:
        raise Unprocessable.on_field("body.file", "empty", "The upload is empty")
    if upload.filename and "\x00" in upload.filename:
        raise Unprocessable.on_field("body.file", "the file name holds a NUL character")
    campaign_id = tenant.campaign_id
    await _check_queue_limit(session, campaign_id, settings.import_queue_limit)
    job = ImportJob(
        campaign_id=campaign_id, kind=kind, filename=upload.filename, created_by=tenant.user_id
    )
    session.add(job)
    await session.flush()
    assert job.id is not None
    job.bytes_total = await uploads.store(session, campaign_id, job.id, upload)
    if settings.job_runner == "worker":
        job.queue_job_id = await queue.defer_import(session, campaign_id, job.id)
    await session.flush()
    return QueuedImport(job.id, kind)


async def _visible_job(
    session: AsyncSession, tenant: Tenant, job_id: int, *, for_update: bool = False
) -> ImportJob:
    stmt = tenant_select(tenant, ImportJob).where(col(ImportJob.id) == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = (await session.execute(stmt)).scalar_one_or_none()
    if job is None or (tenant.role == Role.data_entry and job.kind not in DATA_ENTRY_KINDS):
        raise NotFound(f"import_job {job_id} not found")
    return job


def _progress(job: ImportJob) -> ImportProgressOut | None:
    if job.status != "running" or job.stage is None:
        return None
    share = READING_SHARE.get(job.kind, 0.0)
    fraction: float | None = None
    if job.stage == "reading" and job.bytes_total:
        fraction = share * min(1.0, job.bytes_done / job.bytes_total)
    elif job.stage == "writing" and job.rows_total:
        fraction = share + (1 - share) * min(1.0, job.rows_done / job.rows_total)
    eta = None
    if fraction and job.started_at and job.progress_at:
        elapsed = (job.progress_at - job.started_at).total_seconds()
        eta = round(max(0.0, elapsed * (1 - fraction) / fraction), 1)
    return ImportProgressOut(
        stage=job.stage,
        rows_done=job.rows_done,
        rows_total=job.rows_total,
        bytes_done=job.bytes_done,
        bytes_total=job.bytes_total,
        fraction=None if fraction is None else round(fraction, 3),
        eta_seconds=eta,
        updated_at=job.progress_at,
    )


def _out(job: ImportJob) -> ImportJobOut:
    out = ImportJobOut.model_validate(
        {
            **job.model_dump(),
            "cancel_requested": job.cancel_requested_at is not None,
            "progress": _progress(job),
        }
    )
    return out


async def get_job(session: AsyncSession, tenant: Tenant, job_id: int) -> ImportJobOut:
    """A job's state, progress and outcome; data entry sees only the kinds it may start."""
    return _out(await _visible_job(session, tenant, job_id))


async def cancel_job(session: AsyncSession, tenant: Tenant, job_id: int) -> ImportJobOut:
    """Cancel a job: a waiting one is `cancelled` at once (its upload deleted); a running one
    is aborted by its worker, which rolls its transaction back and then says `cancelled`
    (meanwhile: `running`, `cancel_requested`). Cancelling a cancelled job answers it again;
    a finished one is a 409."""
    job = await _visible_job(session, tenant, job_id, for_update=True)
    if job.status in ("succeeded", "failed"):
        raise Conflict(f"import {job_id} has already ended ({job.status})")
    if job.status == "cancelled":
        return _out(job)
    before = None
    if job.queue_job_id is not None:
        before = await queue.cancel(session, job.queue_job_id)
    if before == "doing" or (before is None and job.status == "running"):
        job.cancel_requested_at = datetime.now(UTC)
    else:
        job.status, job.stage = "cancelled", None
        job.message = "cancelled on request"
        job.finished_at = datetime.now(UTC)
        await uploads.delete(session, tenant.campaign_id, job_id)
    await session.flush()
    return _out(job)
