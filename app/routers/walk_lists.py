from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from app.deps import DataEntry, ListWorker, ListWorkerOrGuest, SessionDep, SettingsDep, Staff
from app.pagination import Page, PageParams, make_page, page_params
from app.retry import retry_conflicts
from app.schemas.common import Id
from app.schemas.list_codes import ListCodeIn, ListCodeOut
from app.schemas.paper_entries import PaperEntriesIn, PaperEntriesOut
from app.schemas.walk_lists import (
    AssignmentsIn,
    AssignmentsOut,
    WalkListIn,
    WalkListOut,
    WalkListPayload,
    WalkListProgress,
)
from app.services.canvass import paper_entry
from app.services.privacy import audit
from app.services.walk_lists import build, codes, progress, serving, sheet_pdf

router = APIRouter(prefix="/walk_lists", tags=["walk lists"])


@router.post("", status_code=201, response_model=WalkListOut)
async def create_walk_list(
    session: SessionDep, settings: SettingsDep, tenant: Staff, body: WalkListIn
) -> WalkListOut:
    """Build a list: the turf's targeted people, grouped by door, in walking order (a route
    through the doors, with its length and time)."""
    return await build.create_walk_list(session, tenant, body, settings)


@router.get("", response_model=Page[WalkListOut])
async def list_walk_lists(
    request: Request,
    session: SessionDep,
    tenant: ListWorkerOrGuest,
    page: Annotated[PageParams, Depends(page_params)],
    number: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{1,9}-[0-9]{1,9}$",
            description="Only the list with this number, as printed on its sheet (CCCC-NNNN)",
            examples=["0001-0003"],
        ),
    ] = None,
) -> Page[WalkListOut]:
    rows = await serving.list_walk_lists(session, tenant, page, number)
    return make_page(request, rows, page, key=lambda w: w.id)


@router.get(
    "/{list_id}",
    response_model=WalkListPayload,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
async def get_walk_list(
    session: SessionDep,
    tenant: ListWorkerOrGuest,
    list_id: Id,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The phone payload, with an ETag; `If-None-Match` answers 304 when nothing changed."""
    walk_list = await serving.get_visible(session, tenant, list_id)
    etag, people = await serving.payload_etag(session, tenant, walk_list)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    matched = etag in [t.strip() for t in (if_none_match or "").split(",")]
    pulled = {"people": people, "not_modified": matched}
    await audit.record(session, tenant, "walk_list.pull", "walk_list", [list_id], pulled)
    if matched:  # answered before anything is built
        return Response(status_code=304, headers=headers)
    payload = await serving.payload_of(session, tenant, walk_list)
    return Response(payload.model_dump_json(), media_type="application/json", headers=headers)


@router.post("/{list_id}/assignments", response_model=AssignmentsOut)
async def assign(
    session: SessionDep, tenant: Staff, list_id: Id, body: AssignmentsIn
) -> AssignmentsOut:
    return await serving.assign(session, tenant, list_id, body.user_ids)


@router.delete("/{list_id}/assignments/{user_id}", status_code=204, response_class=Response)
async def unassign(session: SessionDep, tenant: Staff, list_id: Id, user_id: Id) -> Response:
    await serving.unassign(session, tenant, list_id, user_id)
    return Response(status_code=204)


@router.delete("/{list_id}", status_code=204, response_class=Response)
async def delete_walk_list(session: SessionDep, tenant: Staff, list_id: Id) -> Response:
    """Delete a list with its targets, assignments and codes; its contacts stay as history."""
    await serving.delete_walk_list(session, tenant, list_id)
    return Response(status_code=204)


@router.get(
    "/{list_id}/sheet.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The walk sheet"}},
)
async def get_sheet(
    session: SessionDep,
    tenant: ListWorker,
    list_id: Id,
    paper: Annotated[sheet_pdf.Paper, Query(description="letter or a4")] = "letter",
) -> Response:
    """The printed walk sheet: one row per person in walking order, with the list's line
    numbers, boxes for the result code and each answer, and a QR code on every page."""
    pdf = await sheet_pdf.sheet_pdf(session, tenant, list_id, paper)
    filename = f"walk-list-{list_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/{list_id}/paper_entries", response_model=PaperEntriesOut)
async def enter_paper(
    session: SessionDep, tenant: DataEntry, list_id: Id, body: PaperEntriesIn
) -> PaperEntriesOut:
    """Type in a walk sheet: by line, with the printed result and option codes. One answer per
    entry, in order: `created`, `duplicate` (the line was entered from paper before),
    `replaced` (with `replace`; the old entry is kept, superseded) or `rejected`."""
    return await retry_conflicts(
        session,
        lambda: paper_entry.enter_for_list(session, tenant, list_id, body.entries, body.replace),
    )


@router.get("/{list_id}/progress", response_model=WalkListProgress)
async def get_progress(session: SessionDep, tenant: ListWorker, list_id: Id) -> WalkListProgress:
    return await progress.progress(session, tenant, list_id)


@router.post("/{list_id}/codes", status_code=201, response_model=ListCodeOut)
async def create_code(
    session: SessionDep, tenant: Staff, list_id: Id, body: ListCodeIn
) -> ListCodeOut:
    """A list code for volunteers without an account (`POST /auth/list_code`)."""
    return await codes.create(session, tenant, list_id, body.expires_in_hours)


@router.get("/{list_id}/codes", response_model=list[ListCodeOut])
async def live_codes(session: SessionDep, tenant: Staff, list_id: Id) -> list[ListCodeOut]:
    """The list's codes that still work."""
    return await codes.live_codes(session, tenant, list_id)


@router.delete("/{list_id}/codes/{code}", status_code=204, response_class=Response)
async def revoke_code(session: SessionDep, tenant: Staff, list_id: Id, code: str) -> Response:
    """Revoke a code: the tokens bought with it stop working at once."""
    await codes.revoke(session, tenant, list_id, code)
    return Response(status_code=204)
