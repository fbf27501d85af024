"""Data protection: the audit log (append-only) and the suppression list of erased voters."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, id_column
from app.models.contact import Contact
from app.models.walk_list import WalkListTarget

# An erased person keeps their row (lists and contacts point to it) under the external id
# "erased:<id>"; a trigger keeps such rows unchanged (see the privacy migration).
ERASED_PREFIX = "erased:"


class AuditEntry(SQLModel, table=True):
    """Who read, exported or changed whose data, when. Written in the same transaction as what
    it records (`services.privacy.audit.record`); a trigger refuses UPDATE, and DELETE except
    with the whole campaign. `detail` holds counts, field names and filters, never values."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_campaign_id_at", "campaign_id", "at"),
        # "everything about person 42": object_ids @> '{42}' (with object_type = 'person')
        Index("ix_audit_entry_object_ids", "object_ids", postgresql_using="gin"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    # No foreign key: an entry outlives its actor's account, and must never be rewritten.
    actor_user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    actor_guest: str | None = Field(default=None, sa_column=Column(Text))  # list-code name
    actor_role: str = Field(sa_column=Column(Text, nullable=False))
    action: str = Field(sa_column=Column(Text, nullable=False))
    object_type: str = Field(sa_column=Column(Text, nullable=False))
    object_ids: list[int] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(BigInteger), nullable=False, server_default=text("'{}'::bigint[]")),
    )
    detail: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class ErasedVoter(SQLModel, table=True):
    """The suppression list: the SHA-256 of the voter-file id of each erased person, so that a
    re-import of the voter file cannot bring them back. Deliberately not linked to the erased
    person's row (which keeps no identifier) nor timed."""

    __tablename__ = "erased_voter"

    campaign_id: int = Field(sa_column=campaign_pk_column())
    voter_key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


# Indexes that erasure and export need on other domains' tables, declared here so that this
# file owns them with its migration: a person's list lines, and a door's contacts.
Index(
    "ix_walk_list_target_campaign_id_person_id",
    WalkListTarget.__table__.c.campaign_id,  # type: ignore[attr-defined]
    WalkListTarget.__table__.c.person_id,  # type: ignore[attr-defined]
)
Index(
    "ix_contact_campaign_id_household_id",
    Contact.__table__.c.campaign_id,  # type: ignore[attr-defined]
    Contact.__table__.c.household_id,  # type: ignore[attr-defined]
)
