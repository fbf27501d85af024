from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from app.deps import Admin, SessionDep, Staff
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.common import Id
from app.schemas.contacts import ContactOut
from app.schemas.people import PersonOut, PersonPatch
from app.schemas.privacy import MAX_ID, ErasureOut, PersonExport
from app.services.canvass import history
from app.services.privacy import audit, erasure, export
from app.services.voter_file import people

router = APIRouter(prefix="/people", tags=["people"])
TagPath = Annotated[str, Path(min_length=1, max_length=100)]
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=Page[PersonOut])
async def list_people(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    precinct_id: Id | None = None,
    household_id: Id | None = None,
    support_level: Annotated[int | None, Query(ge=1, le=5)] = None,
    party: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
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
async def get_person(session: SessionDep, tenant: Staff, person_id: Id) -> PersonOut:
    return await people.read_person(session, tenant, person_id)


@router.delete("/{person_id}", response_model=ErasureOut)
async def erase_person(session: SessionDep, tenant: Admin, person_id: PersonId) -> ErasureOut:
    """Erase a person on their request (admins): every personal field, their field sources,
    and the notes and text answers of the contacts that spoke only for them. The anonymised
    row, list lines and contacts stay, so counts and progress stay true; the person is
    do-not-contact and a re-import of the voter file cannot bring them back. Logged."""
    return await erasure.erase_person(session, tenant, person_id)


@router.get("/{person_id}/export", response_model=PersonExport)
async def export_person(session: SessionDep, tenant: Admin, person_id: PersonId) -> PersonExport:
    """Everything held about a person, for their access request (admins): profile, door,
    custom fields, tags, contacts with answers, field sources, list lines and the audit
    entries about them. Logged."""
    return await export.export_person(session, tenant, person_id)


@router.patch("/{person_id}", response_model=PersonOut)
async def patch_person(
    session: SessionDep, tenant: Staff, person_id: Id, body: PersonPatch
) -> PersonOut:
    return await people.patch_person(session, tenant, person_id, body)


@router.put("/{person_id}/tags/{tag}", response_model=PersonOut)
async def add_tag(session: SessionDep, tenant: Staff, person_id: Id, tag: TagPath) -> PersonOut:
    return await people.add_tag(session, tenant, person_id, tag.strip())


@router.delete("/{person_id}/tags/{tag}", response_model=PersonOut)
async def remove_tag(session: SessionDep, tenant: Staff, person_id: Id, tag: TagPath) -> PersonOut:
    return await people.remove_tag(session, tenant, person_id, tag.strip())


@router.get("/{person_id}/contacts", response_model=Page[ContactOut])
async def person_contacts(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    person_id: Id,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ContactOut]:
    """Every contact that spoke for this person, oldest first, with its answers."""
    rows = await history.history(session, tenant, person_id, page)
    await audit.record(session, tenant, "person.contacts_read", "person", [person_id])
    return make_page(request, rows, page, key=lambda c: c.id)
