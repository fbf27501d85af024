from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, UploadFile
from fastapi.params import File

from app.deps import DataEntry, SessionDep, Staff
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
    spool_dir = request.app.state.settings.import_dir or None
    queued = await import_jobs.queue_upload(session, tenant, kind, file, spool_dir)
    background.add_task(import_jobs.run_job, request.app.state.sessionmaker, tenant, queued)
    return ImportQueued(id=queued.job_id, status="queued")


@router.post("/voters", status_code=202, response_model=ImportQueued)
async def import_voters(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="Voter file, CSV, UTF-8")],
) -> ImportQueued:
    """Queue a voter-file import; poll `GET /imports/{id}` for its outcome."""
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
    `GET /imports/{id}`: created, duplicates, rejected, and errors by line and column."""
    return await _queue(request, session, tenant, background, file, "canvass_results")


@router.get("/{import_id}", response_model=ImportJobOut)
async def get_import(session: SessionDep, tenant: DataEntry, import_id: Id) -> ImportJobOut:
    """A job's outcome. Data entry sees the jobs of results uploads only."""
    return await import_jobs.get_job(session, tenant, import_id)
