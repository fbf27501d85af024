"""Access on request: everything the campaign holds about one person, as one JSON document."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Campaign, Person
from app.models.privacy import ERASED_PREFIX
from app.schemas.privacy import (
    AuditEntryOut,
    ExportAnswer,
    ExportContact,
    ExportFieldSource,
    ExportListLine,
    PersonExport,
)
from app.services.access.tenancy import Tenant, get_owned
from app.services.privacy import audit, queries
from app.services.voter_file.people import get_person


async def export_person(session: AsyncSession, tenant: Tenant, person_id: int) -> PersonExport:
    """The profile with its door, contacts and answers, field provenance, list lines and the
    audit entries about the person; the export itself is logged (after it is gathered)."""
    try:
        person = await get_owned(session, tenant, Person, person_id)
    except NotFound:
        raise NotFound(f"person {person_id} not found") from None
    profile = await get_person(session, tenant, person_id)
    campaign = await session.get(Campaign, tenant.campaign_id)
    params = {"cid": tenant.campaign_id, "pid": person_id}
    contacts = [
        ExportContact(
            **{k: v for k, v in row._mapping.items() if k != "answers"},
            answers=[ExportAnswer(**a) for a in row.answers],
        )
        for row in await session.execute(text(queries.EXPORT_CONTACTS), params)
    ]
    sources = [
        ExportFieldSource(**row._mapping)
        for row in await session.execute(text(queries.EXPORT_FIELD_SOURCES), params)
    ]
    lines = [
        ExportListLine(**row._mapping)
        for row in await session.execute(text(queries.EXPORT_LIST_LINES), params)
    ]
    lists = [line.walk_list_id for line in lines]
    entries = [
        AuditEntryOut(**row._mapping)
        for row in await session.execute(text(queries.EXPORT_AUDIT), params | {"lists": lists})
    ]
    export = PersonExport(
        campaign=campaign.name if campaign else "",
        exported_at=datetime.now(UTC),
        erased=person.external_id.startswith(ERASED_PREFIX),
        profile=profile,
        created_at=person.created_at,
        updated_at=person.updated_at,
        contacts=contacts,
        field_sources=sources,
        walk_lists=lines,
        audit=entries,
    )
    counts = {"contacts": len(contacts), "walk_lists": len(lines), "audit_entries": len(entries)}
    await audit.record(session, tenant, "person.export", "person", [person_id], counts)
    return export
