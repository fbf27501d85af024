"""Contacts (door knocks, calls) with their answers, and where each profile field came from."""

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column

# What happened at the door (or on the call): a phone's result, a sheet's code.
ResultCode = Literal[
    "canvassed", "not_home", "refused", "moved", "deceased", "inaccessible", "language_barrier",
    "hostile", "come_back", "wrong_address", "do_not_contact",
]  # fmt: skip
RESULTS: tuple[str, ...] = get_args(ResultCode)
SOURCES = ("app", "paper", "import", "api")
# The short codes printed on walk sheets and typed back by data entry.
RESULT_CODES = {
    "C": "canvassed", "NH": "not_home", "R": "refused", "M": "moved", "D": "deceased",
    "I": "inaccessible", "LB": "language_barrier", "H": "hostile", "CB": "come_back",
    "WA": "wrong_address", "DNC": "do_not_contact",
}  # fmt: skip


class Contact(SQLModel, table=True):
    """One knock (or call) as reported: kept forever as history, whatever it changed."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("campaign_id", "client_id"),  # a retried upload is recognised
        # History outlives its list; it goes with its door (only a campaign's deletion does).
        ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            ondelete="SET NULL (walk_list_id)",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "household_id"],
            ["household.campaign_id", "household.id"],
            ondelete="CASCADE",
        ),
        # Who knocked and who typed it in: accounts of the same campaign; the results stay
        # when an account is removed.
        ForeignKeyConstraint(
            ["campaign_id", "canvasser_id"],
            ["app_user.campaign_id", "app_user.id"],
            ondelete="SET NULL (canvasser_id)",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "entered_by"],
            ["app_user.campaign_id", "app_user.id"],
            ondelete="SET NULL (entered_by)",
        ),
        # A list's progress, and its deletion (which nulls walk_list_id), find contacts by list.
        Index("ix_contact_campaign_id_walk_list_id", "campaign_id", "walk_list_id"),
        CheckConstraint(f"result in {RESULTS}", name="result_known"),
        CheckConstraint(f"source in {SOURCES}", name="source_known"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    client_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    walk_list_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    household_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_id: int | None = Field(default=None, sa_column=Column(BigInteger))  # None: the door
    canvasser_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    canvasser_name: str | None = Field(default=None, sa_column=Column(Text))
    result: str = Field(sa_column=Column(Text, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(sa_column=Column(Text, nullable=False))
    knocked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    received_at: datetime | None = Field(default=None, sa_column=created_at_column())
    lon: float | None = Field(default=None, sa_column=Column(Double))
    lat: float | None = Field(default=None, sa_column=Column(Double))
    # Who typed it in (paper entry, results upload); the canvasser may be unknown then.
    entered_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    # A paper entry typed again with `replace`: the old one is kept, pointing at its successor.
    superseded_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    superseded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ContactTarget(SQLModel, table=True):
    """The people a contact speaks for: its person, or every target at the door."""

    __tablename__ = "contact_target"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "contact_id"], ["contact.campaign_id", "contact.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["campaign_id", "person_id"], ["person.campaign_id", "person.id"], ondelete="CASCADE"
        ),
        Index("ix_contact_target_campaign_id_person_id", "campaign_id", "person_id"),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    contact_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True))


class ContactResponse(SQLModel, table=True):
    __tablename__ = "contact_response"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "contact_id"], ["contact.campaign_id", "contact.id"], ondelete="CASCADE"
        ),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    contact_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    question_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    option_ids: list[int] = Field(
        default_factory=list, sa_column=Column(ARRAY(BigInteger), nullable=False)
    )
    text: str | None = Field(default=None, sa_column=Column(Text))
    number: float | None = Field(default=None, sa_column=Column(Double))


class PersonFieldSource(SQLModel, table=True):
    """Provenance: which contact last set a profile field (or tag), at what event time. An
    effect older than the one recorded here never overwrites the field."""

    __tablename__ = "person_field_source"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "person_id"], ["person.campaign_id", "person.id"], ondelete="CASCADE"
        ),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    field: str = Field(sa_column=Column(Text, primary_key=True))  # support_level, custom:x, tag:x
    value: Any = Field(sa_column=Column(JSONB))
    contact_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    knocked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
