"""Erasure on request: a person's personal data goes, the anonymised history stays.

What goes: every personal field of the person's row (names, birth date and year, sex, party,
phone, e-mail, support, flags, tags, custom fields; the voter-file id becomes "erased:<id>"),
the provenance of their fields (`person_field_source`, whose values are their answers), and,
on the contacts that spoke only for erased people, the note, the text and number answers and
the location. Contacts shared with people still on file (a door knock that spoke for the whole
household) keep their note and text, with the person's names replaced by "[erased]", also
where such a text answer went into the others' profiles (a custom field). When
nobody else is left at the door, the door's address and point go too.

What stays: the person's row (do-not-contact, so no list targets it again), their list lines
and contacts with result codes, times and chosen options, so that every list's counts and
progress stay true, and none of it names anyone. The voter-file id is kept only as a SHA-256
on the suppression list (`erased_voter`), which no row points to: a re-import of the voter
file then cannot bring the person back (a trigger removes them as they are inserted).
"""

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rowcount
from app.errors import NotFound
from app.models.privacy import ERASED_PREFIX
from app.schemas.privacy import ErasureOut
from app.services.access.tenancy import Tenant
from app.services.privacy import audit, queries


def name_pattern(*names: str | None) -> str | None:
    """A PostgreSQL regular expression matching the words of the names (letters and digits, two
    or more) as whole words (`\\m...\\M`), longest first; None when there is no such word.
    "Mary-Jo O'Neil" gives `\\m(Mary|Neil|Jo)\\M`."""
    words = {w for name in names if name for w in re.findall(r"\w+", name) if len(w) >= 2}
    if not words:
        return None
    return r"\m(" + "|".join(sorted(words, key=lambda w: (-len(w), w))) + r")\M"


async def erase_person(session: AsyncSession, tenant: Tenant, person_id: int) -> ErasureOut:
    """Erase one person of the tenant's campaign (NotFound for another campaign's id), in the
    request's transaction, with its audit entry. Erasing an erased person does nothing."""
    params = {"cid": tenant.campaign_id, "pid": person_id}
    person = (await session.execute(text(queries.LOCK_PERSON), params)).one_or_none()
    if person is None:
        raise NotFound(f"person {person_id} not found")
    if person.external_id.startswith(ERASED_PREFIX):
        return ErasureOut(
            person_id=person_id,
            already_erased=True,
            contacts_kept=0,
            contacts_cleared=0,
            contacts_redacted=0,
            profiles_redacted=0,
            field_sources_deleted=0,
            household_erased=False,
        )

    contacts = (await session.execute(text(queries.CONTACTS_OF), params)).all()
    own = [c.contact_id for c in contacts if not c.shared]
    shared = [c.contact_id for c in contacts if c.shared]
    scoped = {"cid": tenant.campaign_id}
    if own:
        await session.execute(text(queries.CLEAR_CONTACTS), scoped | {"ids": own})
        await session.execute(text(queries.CLEAR_ANSWERS), scoped | {"ids": own})
    redacted: set[int] = set()
    profiles: list[int] = []
    pattern = name_pattern(person.first_name, person.middle_name, person.last_name)
    if shared and pattern:
        names = params | {"ids": shared, "pattern": pattern}
        notes = await session.execute(text(queries.REDACT_NOTES), names)
        answers = await session.execute(text(queries.REDACT_ANSWERS), names)
        redacted = set(notes.scalars()) | set(answers.scalars())
        profiles = list((await session.execute(text(queries.REDACT_PROFILES), names)).scalars())
    sources = rowcount(await session.execute(text(queries.DELETE_FIELD_SOURCES), params))

    await session.execute(text(queries.ERASE_PERSON), params)
    await session.execute(
        text(queries.SUPPRESS_VOTER), scoped | {"external_id": person.external_id}
    )
    door = params | {"hid": person.household_id}
    others = (await session.execute(text(queries.OTHERS_AT_DOOR), door)).scalar_one()
    if others == 0:
        await session.execute(text(queries.ERASE_HOUSEHOLD), door)
        await session.execute(text(queries.UNLOCATE_DOOR_CONTACTS), door)

    out = ErasureOut(
        person_id=person_id,
        already_erased=False,
        contacts_kept=len(contacts),
        contacts_cleared=len(own),
        contacts_redacted=len(redacted),
        profiles_redacted=len(profiles),
        field_sources_deleted=sources,
        household_erased=others == 0,
    )
    detail = out.model_dump(exclude={"person_id", "already_erased"})
    await audit.record(session, tenant, "person.erase", "person", [person_id], detail)
    return out
