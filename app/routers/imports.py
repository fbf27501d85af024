from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, UploadFile
from fastapi.params import File

from app.deps import DataEntry, SessionDep, Staff
from app.jobs.imports import run_inline
from app.schemas.common import Id
from app.schemas.imports import ImportJobOut, ImportQueued
from app.services import import_jobs
from app.services.access.tenancy import Tenant

router = APIRouter(prefix="/imports", tags=["imports"])


async def _queue(
    request: Request,
    session: SessionDep,
    tenant: Tenant,
    background: BackgroundTasks,
    file: UploadFile,
    kind: str,
) -> ImportQueued:
    settings = request.app.state.settings
    queued = await import_jobs.queue_upload(session, tenant, kind, file, settings)
    if settings.job_runner == "inline":  # tests: no worker can see their transaction
        factory = request.app.state.sessionmaker
        background.add_task(run_inline, factory, settings, tenant.campaign_id, queued.job_id)
    return ImportQueued(id=queued.job_id, status="queued")


@router.post("/voters", status_code=202, response_model=ImportQueued)
async def import_voters(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="Voter file, CSV, UTF-8")],
) -> ImportQueued:
    """Queue a voter-file import; poll `GET /imports/{id}` for its progress and outcome.
    429 when the campaign already has `IMPORT_QUEUE_LIMIT` imports waiting."""
    return await _queue(request, session, tenant, background, file, "voters")


@router.post("/canvass_results", status_code=202, response_model=ImportQueued)
async def import_canvass_results(
    request: Request,
    session: SessionDep,
    tenant: DataEntry,
    background: BackgroundTasks,
    file: Annotated[
        UploadFile,
        File(description="CSV: list_number, line, result, q1..qN, note, date (UTF-8)"),
    ],
) -> ImportQueued:
    """Queue an upload of paper results (the rules of paper entry, row by row); poll
    `GET /imports/{id}`: created, duplicates, rejected, and errors by line and column.
    429 when the campaign already has `IMPORT_QUEUE_LIMIT` imports waiting."""
    return await _queue(request, session, tenant, background, file, "canvass_results")


@router.get("/{import_id}", response_model=ImportJobOut)
async def get_import(session: SessionDep, tenant: DataEntry, import_id: Id) -> ImportJobOut:
    """A job's state, its progress while it runs (rows done, ETA) and its outcome. Data entry
    sees the jobs of results uploads only."""
    return await import_jobs.get_job(session, tenant, import_id)


@router.post("/{import_id}/cancel", response_model=ImportJobOut)
async def cancel_import(session: SessionDep, tenant: DataEntry, import_id: Id) -> ImportJobOut:
    """Cancel a job. A waiting job is `cancelled` at once; a running one is aborted by its
    worker (nothing it wrote is kept) and reads `running` with `cancel_requested` until it
    has stopped. 409 when the job has already ended. Data entry cancels results uploads."""
    return await import_jobs.cancel_job(session, tenant, import_id)
