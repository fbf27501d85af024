"""People: search and paging, one profile, hand corrections and tags. Reads, searches and
changes are recorded in the audit log (`privacy.audit`), in the same transaction."""

from datetime import date
from typing import Any

from sqlalchemy import Select, Text, any_, case, cast, func, literal, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col

from app.errors import Conflict, NotFound, Unprocessable
from app.models import Household, Person
from app.models.base import orm_attribute
from app.models.privacy import ERASED_PREFIX
from app.pagination import PageParams
from app.schemas.people import HouseholdOut, PersonOut, PersonPatch
from app.services.access.tenancy import Tenant, tenant_select
from app.services.privacy import audit

NOT_NULL_FIELDS = {
    "first_name", "last_name", "is_volunteer", "is_donor", "do_not_contact", "deceased",
    "moved", "tags", "custom_fields",
}  # fmt: skip


def age_on(today: date, birth_date: date | None, birth_year: int | None) -> int | None:
    """Exact age from the birth date; from the year alone, the age reached this year."""
    if birth_date is not None:
        before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
        return today.year - birth_date.year - before_birthday
    if birth_year is not None:
        return today.year - birth_year
    return None


def _person_select(tenant: Tenant) -> Select[*tuple[Any, ...]]:
    """People with their door; the door's point comes as lon/lat, never as a geometry."""
    return (
        tenant_select(
            tenant,
            Person,
            Person,
            Household,
            func.ST_X(Household.geom).label("lon"),
            func.ST_Y(Household.geom).label("lat"),
        )
        .join(
            Household,
            (col(Household.campaign_id) == Person.campaign_id)
            & (col(Household.id) == Person.household_id),
        )
        .options(defer(orm_attribute(Household.geom)), defer(orm_attribute(Household.address_key)))
    )


def _out(person: Person, household: Household, lon: float | None, lat: float | None) -> PersonOut:
    data = person.model_dump(exclude={"campaign_id", "household_id", "created_at", "updated_at"})
    return PersonOut(
        **data,
        age=age_on(date.today(), person.birth_date, person.birth_year),
        precinct_id=household.precinct_id,
        household=HouseholdOut(
            **household.model_dump(
                include={
                    "id",
                    "house_number",
                    "house_suffix",
                    "street",
                    "unit",
                    "city",
                    "state",
                    "zip",
                }
            ),
            lon=lon,
            lat=lat,
        ),
    )


def _like_prefix(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def list_people(
    session: AsyncSession,
    tenant: Tenant,
    page: PageParams,
    *,
    precinct_id: int | None = None,
    household_id: int | None = None,
    support_level: int | None = None,
    party: str | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> list[PersonOut]:
    """A page of people matching the filters, by id (erased people are nobody: left out).
    One audit entry for the page: the filters (a name search only as its word count) and the
    ids returned."""
    stmt = (
        _person_select(tenant)
        .where(col(Person.external_id).not_like(f"{ERASED_PREFIX}%"))
        .order_by(col(Person.id))
        .limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(col(Person.id) > page.after_id)
    if precinct_id is not None:
        stmt = stmt.where(col(Household.precinct_id) == precinct_id)
    if household_id is not None:
        stmt = stmt.where(col(Person.household_id) == household_id)
    if support_level is not None:
        stmt = stmt.where(col(Person.support_level) == support_level)
    if party is not None:
        stmt = stmt.where(func.upper(Person.party) == party.upper())
    if tag is not None:
        stmt = stmt.where(col(Person.tags).contains(cast([tag], ARRAY(Text))))
    for word in (q or "").split():
        pattern = _like_prefix(word)
        stmt = stmt.where(
            func.lower(Person.last_name).like(pattern, escape="\\")
            | func.lower(Person.first_name).like(pattern, escape="\\")
        )
    rows = (await session.execute(stmt)).all()
    filters = {
        "precinct_id": precinct_id, "household_id": household_id,
        "support_level": support_level, "party": party, "tag": tag,
        "q_words": len(q.split()) if q else None,
    }  # fmt: skip
    detail = {k: v for k, v in filters.items() if v is not None}
    shown = [row[0].id for row in rows[: page.limit]]
    await audit.record(
        session,
        tenant,
        "person.search",
        "person",
        shown,
        detail | {"next_page": bool(page.after_id)},
    )
    return [_out(*row) for row in rows]


async def get_person(session: AsyncSession, tenant: Tenant, person_id: int) -> PersonOut:
    """One person with their door."""
    row = (
        await session.execute(_person_select(tenant).where(col(Person.id) == person_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"person {person_id} not found")
    return _out(*row)


async def read_person(session: AsyncSession, tenant: Tenant, person_id: int) -> PersonOut:
    """One person with their door, the read recorded in the audit log."""
    person = await get_person(session, tenant, person_id)
    await audit.record(session, tenant, "person.read", "person", [person_id])
    return person


async def _update(
    session: AsyncSession, tenant: Tenant, person_id: int, values: dict[str, Any]
) -> None:
    result = await session.execute(
        update(Person)
        .where(col(Person.campaign_id) == tenant.campaign_id, col(Person.id) == person_id)
        .values(**values, updated_at=func.now())
        .returning(col(Person.external_id))
    )
    external_id = result.scalar_one_or_none()
    if external_id is None:
        raise NotFound(f"person {person_id} not found")
    if external_id.startswith(ERASED_PREFIX):  # the row stayed as it was (a trigger keeps it)
        raise Conflict(f"person {person_id} was erased")


async def patch_person(
    session: AsyncSession, tenant: Tenant, person_id: int, patch: PersonPatch
) -> PersonOut:
    """Apply a partial update. custom_fields merge (RFC 7396): a null value removes the key."""
    values = patch.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in values.items() if v is None and k in NOT_NULL_FIELDS)
    if nulls:
        raise Unprocessable.on_fields(
            "These fields cannot be null", [(f"body.{k}", "may not be null") for k in nulls]
        )
    if "tags" in values:
        values["tags"] = sorted(set(values["tags"]))
    if "custom_fields" in values:
        changes = values.pop("custom_fields")
        removed = [k for k, v in changes.items() if v is None]
        kept = {k: v for k, v in changes.items() if v is not None}
        column = col(Person.custom_fields)
        merged = column.op("||")(literal(kept, JSONB))
        for key in removed:
            merged = merged.op("-")(key)
        values["custom_fields"] = merged
    if "birth_date" in values and values["birth_date"] is not None and "birth_year" not in values:
        values["birth_year"] = values["birth_date"].year
    if values:
        await _update(session, tenant, person_id, values)
    fields = sorted(patch.model_fields_set)
    custom = sorted(patch.custom_fields or {}) if "custom_fields" in fields else []
    detail = {"fields": fields} | ({"custom_fields": custom} if custom else {})
    await audit.record(session, tenant, "person.update", "person", [person_id], detail)
    return await get_person(session, tenant, person_id)


async def add_tag(session: AsyncSession, tenant: Tenant, person_id: int, tag: str) -> PersonOut:
    """Idempotent: a tag the person already has is not added twice."""
    tags = case(
        (literal(tag) == any_(col(Person.tags)), Person.tags),
        else_=func.array_append(Person.tags, tag),
    )
    await _update(session, tenant, person_id, {"tags": tags})
    await audit.record(session, tenant, "person.tag_add", "person", [person_id])
    return await get_person(session, tenant, person_id)


async def remove_tag(session: AsyncSession, tenant: Tenant, person_id: int, tag: str) -> PersonOut:
    """Take a tag off a person (no error when they did not have it)."""
    await _update(session, tenant, person_id, {"tags": func.array_remove(Person.tags, tag)})
    await audit.record(session, tenant, "person.tag_remove", "person", [person_id])
    return await get_person(session, tenant, person_id)
