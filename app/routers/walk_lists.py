from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from app.deps import SessionDep, Staff, require_roles
from app.models import Role
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.walk_lists import (
    AssignmentsIn,
    AssignmentsOut,
    WalkListIn,
    WalkListOut,
    WalkListPayload,
)
from app.services import walk_lists
from app.services.tenancy import Tenant

router = APIRouter(prefix="/walk_lists", tags=["walk lists"])
# Canvassers read the lists assigned to them; data entry reads every list of the campaign.
Reader = Annotated[
    Tenant, Depends(require_roles(Role.admin, Role.organizer, Role.data_entry, Role.canvasser))
]


@router.post("", status_code=201, response_model=WalkListOut)
async def create_walk_list(session: SessionDep, tenant: Staff, body: WalkListIn) -> WalkListOut:
    """Build a list: the turf's targeted people, grouped by door, in walking order."""
    return await walk_lists.create_walk_list(session, tenant, body)


@router.get("", response_model=Page[WalkListOut])
async def list_walk_lists(
    request: Request,
    session: SessionDep,
    tenant: Reader,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[WalkListOut]:
    rows = await walk_lists.list_walk_lists(session, tenant, page)
    return make_page(request, rows, page, key=lambda w: w.id)


@router.get(
    "/{list_id}",
    response_model=WalkListPayload,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
async def get_walk_list(
    session: SessionDep,
    tenant: Reader,
    list_id: int,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The phone payload, with an ETag; `If-None-Match` answers 304 when nothing changed."""
    payload = await walk_lists.payload(session, tenant, list_id)
    body = payload.model_dump_json().encode()
    etag = walk_lists.etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.post("/{list_id}/assignments", response_model=AssignmentsOut)
async def assign(
    session: SessionDep, tenant: Staff, list_id: int, body: AssignmentsIn
) -> AssignmentsOut:
    return await walk_lists.assign(session, tenant, list_id, body.user_ids)


@router.delete("/{list_id}/assignments/{user_id}", status_code=204, response_class=Response)
async def unassign(session: SessionDep, tenant: Staff, list_id: int, user_id: int) -> Response:
    await walk_lists.unassign(session, tenant, list_id, user_id)
    return Response(status_code=204)
