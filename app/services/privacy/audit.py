"""The audit log: who read, exported or changed whose data, and when.

`record` writes one entry through the request's session, so the entry commits or rolls back
with what it records: a request that fails leaves no entry, and a change is never without
one. It is one INSERT (no flush, nothing read back), cheap enough for every sync batch.

What an entry holds: the actor (member id, or the name a list-code volunteer gave, and the
role), the campaign, the time (the transaction's), the action, the object type and ids, and a
small `detail` of counts, field names and filters. Never values: no names, no answers, no
notes, no search text. The log is append-only: the app has no UPDATE or DELETE of it, and a
trigger refuses both (only the deletion of the whole campaign takes its log along).

For the member management in `services/access` (another owner), record as follows, in the
same session and after the change (the actor is the admin's tenant, the object the user):

    await audit.record(session, tenant, "member.add", "user", [user_id], {"role": "organizer"})
    await audit.record(session, tenant, "member.remove", "user", [user_id])
    await audit.record(
        session, tenant, "member.role_change", "user", [user_id],
        {"from": "organizer", "to": "admin"},
    )
    await audit.record(session, tenant, "account.deactivate", "user", [user_id])
    await audit.record(session, tenant, "account.password_reset", "user", [user_id])
    await audit.record(session, tenant, "session.revoke", "user", [user_id], {"sessions": 3})

Roles and counts are fine in `detail`; e-mail addresses, names and passwords never are.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models.privacy import AuditEntry
from app.pagination import PageParams
from app.schemas.privacy import AuditEntryOut
from app.services.access.tenancy import Tenant, tenant_select
from app.services.privacy import queries

Action = Literal[
    # personal data read or exported
    "person.read",  # GET /people/{id}
    "person.contacts_read",  # GET /people/{id}/contacts
    "person.search",  # GET /people: one entry per page, the ids it returned
    "person.export",  # GET /people/{id}/export
    "walk_list.pull",  # GET /walk_lists/{id} (a 304 too: the phone's copy was confirmed)
    "walk_list.sheet",  # GET /walk_lists/{id}/sheet.pdf: names and addresses on paper
    # personal data changed
    "person.update",  # PATCH /people/{id}: the fields, not their values
    "person.tag_add",
    "person.tag_remove",
    "person.erase",  # DELETE /people/{id}
    "sync.batch",  # POST /sync: one entry per batch, with counts
    "paper.batch",  # POST /walk_lists/{id}/paper_entries: one entry per request, with counts
    "results.upload",  # a results file's import job: one entry, with counts
    # members and accounts (services/access)
    "member.add",
    "member.remove",
    "member.role_change",
    "account.deactivate",
    "account.password_reset",
    "session.revoke",
]
ObjectType = Literal["person", "walk_list", "user", "campaign"]
# What `detail` may hold: counts, flags, field names, ids, roles. Nothing nested deeper.
DetailValue = int | bool | str | None | list[str] | list[int] | Mapping[str, int | str | bool]
MAX_GUEST_NAME = 100


def guest_name(tenant: Tenant) -> str | None:
    """The list-code volunteer's name as the log keeps it: without NULs or unpaired surrogates
    (which the database refuses: one such name must never fail every sync of a guest)."""
    if tenant.guest_name is None:
        return None
    name = tenant.guest_name.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return name[:MAX_GUEST_NAME]


async def record(
    session: AsyncSession,
    tenant: Tenant,
    action: Action,
    object_type: ObjectType,
    object_ids: Sequence[int] = (),
    detail: Mapping[str, DetailValue] | None = None,
) -> None:
    """Append one entry in the request's transaction (services never commit)."""
    await session.execute(
        text(queries.INSERT_AUDIT),
        {
            "cid": tenant.campaign_id,
            "user_id": tenant.user_id,
            "guest": guest_name(tenant),
            "role": tenant.role.value,
            "action": action,
            "object_type": object_type,
            "object_ids": list(object_ids),
            "detail": json.dumps(detail or {}, separators=(",", ":"), sort_keys=True),
        },
    )


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)


async def entries(
    session: AsyncSession,
    tenant: Tenant,
    page: PageParams,
    *,
    action: str | None = None,
    actor_user_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntryOut]:
    """A page of the campaign's log, newest first (the cursor continues below the last id).
    `since` is inclusive, `until` exclusive."""
    stmt = (
        tenant_select(tenant, AuditEntry).order_by(col(AuditEntry.id).desc()).limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < page.after_id)
    if action is not None:
        stmt = stmt.where(col(AuditEntry.action) == action)
    if actor_user_id is not None:
        stmt = stmt.where(col(AuditEntry.actor_user_id) == actor_user_id)
    if object_type is not None:
        stmt = stmt.where(col(AuditEntry.object_type) == object_type)
    if object_id is not None:
        stmt = stmt.where(col(AuditEntry.object_ids).contains([object_id]))
    if since is not None:
        stmt = stmt.where(col(AuditEntry.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEntry.at) < until)
    return [entry_out(e) for e in (await session.execute(stmt)).scalars()]
