from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from app.deps import SessionDep, Staff
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.contacts import ContactOut
from app.schemas.people import PersonOut, PersonPatch
from app.services.canvass import history
from app.services.voter_file import people

router = APIRouter(prefix="/people", tags=["people"])
TagPath = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("", response_model=Page[PersonOut])
async def list_people(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    precinct_id: int | None = None,
    household_id: int | None = None,
    support_level: Annotated[int | None, Query(ge=1, le=5)] = None,
    party: str | None = None,
    tag: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Name prefix search")] = None,
) -> Page[PersonOut]:
    rows = await people.list_people(
        session,
        tenant,
        page,
        precinct_id=precinct_id,
        household_id=household_id,
        support_level=support_level,
        party=party,
        tag=tag,
        q=q,
    )
    return make_page(request, rows, page, key=lambda p: p.id)


@router.get("/{person_id}", response_model=PersonOut)
async def get_person(session: SessionDep, tenant: Staff, person_id: int) -> PersonOut:
    return await people.get_person(session, tenant, person_id)


@router.patch("/{person_id}", response_model=PersonOut)
async def patch_person(
    session: SessionDep, tenant: Staff, person_id: int, body: PersonPatch
) -> PersonOut:
    return await people.patch_person(session, tenant, person_id, body)


@router.put("/{person_id}/tags/{tag}", response_model=PersonOut)
async def add_tag(session: SessionDep, tenant: Staff, person_id: int, tag: TagPath) -> PersonOut:
    return await people.add_tag(session, tenant, person_id, tag.strip())


@router.delete("/{person_id}/tags/{tag}", response_model=PersonOut)
async def remove_tag(session: SessionDep, tenant: Staff, person_id: int, tag: TagPath) -> PersonOut:
    return await people.remove_tag(session, tenant, person_id, tag.strip())


@router.get("/{person_id}/contacts", response_model=Page[ContactOut])
async def person_contacts(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    person_id: int,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ContactOut]:
    """Every contact that spoke for this person, oldest first, with its answers."""
    rows = await history.history(session, tenant, person_id, page)
    return make_page(request, rows, page, key=lambda c: c.id)
