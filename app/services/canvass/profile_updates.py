"""Feedback: contacts write into voter profiles, by event time.

Every effect (a survey option's `set`/tags, a text or number answer's profile field, a result
such as `moved`) is an (person, field, value, knocked_at) fact. For each person and field the
fact with the latest `knocked_at` wins, checked against `person_field_source`, so an older
answer that syncs late never overwrites a newer one; the winners are then written to the
people in one UPDATE.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.access.tenancy import Tenant
from app.services.canvass import queries

# Results that change who a person is for the next list.
RESULT_FIELDS = {"moved": "moved", "deceased": "deceased", "do_not_contact": "do_not_contact"}


@dataclass(frozen=True)
class Fact:
    person_id: int
    field: str  # a queries.SCALAR_FIELDS key, custom:NAME or tag:NAME
    value: Any
    contact_id: int
    knocked_at: datetime


@dataclass(frozen=True)
class Touch:
    """A person reached by a contact: their last_contacted_at moves forward to knocked_at."""

    person_id: int
    knocked_at: datetime


def option_facts(
    effects: dict[str, Any], person_id: int, contact_id: int, at: datetime
) -> list[Fact]:
    """The facts an option's effects write: profile fields set, tags added and removed."""
    facts = [Fact(person_id, f, v, contact_id, at) for f, v in effects.get("set", {}).items()]
    facts += [
        Fact(person_id, f"tag:{t}", True, contact_id, at) for t in effects.get("tags_add", [])
    ]
    facts += [
        Fact(person_id, f"tag:{t}", False, contact_id, at) for t in effects.get("tags_remove", [])
    ]
    return facts


async def apply(
    session: AsyncSession, tenant: Tenant, facts: list[Fact], touches: list[Touch]
) -> None:
    """Write the winning facts into the people, and move their last contact forward."""
    campaign_id = tenant.campaign_id
    winners: list[Any] = []
    if facts:
        params = {
            "cid": campaign_id,
            "persons": [f.person_id for f in facts],
            "fields": [f.field for f in facts],
            "values": [json.dumps(f.value) for f in facts],
            "contacts": [f.contact_id for f in facts],
            "times": [f.knocked_at for f in facts],
        }
        winners = list((await session.execute(text(queries.WINNERS), params)).all())

    patch: dict[int, dict[str, Any]] = defaultdict(dict)
    custom: dict[int, dict[str, Any]] = defaultdict(dict)
    adds: dict[int, list[str]] = defaultdict(list)
    removes: dict[int, list[str]] = defaultdict(list)
    for person_id, field, value in winners:
        if field.startswith("custom:"):
            custom[person_id][field.removeprefix("custom:")] = value
        elif field.startswith("tag:"):
            (adds if value else removes)[person_id].append(field.removeprefix("tag:"))
        else:
            patch[person_id][field] = value
    touched: dict[int, datetime] = {}
    for t in touches:
        touched[t.person_id] = max(touched.get(t.person_id, t.knocked_at), t.knocked_at)
    people = sorted(set(touched) | set(patch) | set(custom) | set(adds) | set(removes))
    if not people:
        return
    await session.execute(
        text(queries.APPLY),
        {
            "cid": campaign_id,
            "persons": people,
            "patches": [json.dumps(patch.get(p, {})) for p in people],
            "customs": [json.dumps(custom.get(p, {})) for p in people],
            "adds": [json.dumps(adds.get(p, [])) for p in people],
            "removes": [json.dumps(removes.get(p, [])) for p in people],
            "touched": [touched.get(p) for p in people],
        },
    )


async def flag_wrong_addresses(session: AsyncSession, tenant: Tenant, households: set[int]) -> None:
    """Doors reported as a wrong address drop out of the next lists."""
    if households:
        await session.execute(
            text(
                "UPDATE household SET wrong_address = true, updated_at = now()"
                " WHERE campaign_id = :cid AND id = ANY(CAST(:ids AS bigint[]))"
            ),
            {"cid": tenant.campaign_id, "ids": sorted(households)},
        )
