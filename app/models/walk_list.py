"""Walk lists: a materialised snapshot of the doors and people to knock in a turf."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Double,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    and_,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel, col

from app.models.base import campaign_pk_column, created_at_column, id_column


class WalkList(SQLModel, table=True):
    __tablename__ = "walk_list"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        # A turf or survey in use by a list cannot be deleted (the API answers 409; it makes the
        # check immediate). Deferred, so that deleting a whole campaign, whose cascades reach
        # turfs before lists, is checked only once everything is gone.
        ForeignKeyConstraint(
            ["campaign_id", "turf_id"],
            ["turf.campaign_id", "turf.id"],
            deferrable=True,
            initially="DEFERRED",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "survey_id"],
            ["survey.campaign_id", "survey.id"],
            deferrable=True,
            initially="DEFERRED",
        ),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    number: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    turf_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    survey_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    filters: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    door_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    person_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # The walking route through the doors (metres) and the time it takes, knocks included.
    route_distance_m: float | None = Field(default=None, sa_column=Column(Double))
    route_minutes: float | None = Field(default=None, sa_column=Column(Double))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class WalkListTarget(SQLModel, table=True):
    """One targeted person: `line` (1..n, stable, printed on paper) at stop `seq` (the door)."""

    __tablename__ = "walk_list_target"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "household_id"],
            ["household.campaign_id", "household.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "person_id"], ["person.campaign_id", "person.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("campaign_id", "walk_list_id", "person_id"),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    walk_list_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    line: int = Field(sa_column=Column(Integer, primary_key=True))
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    household_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class WalkListAssignment(SQLModel, table=True):
    __tablename__ = "walk_list_assignment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["campaign_id", "user_id"],
            ["app_user.campaign_id", "app_user.id"],
            ondelete="CASCADE",
        ),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    walk_list_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, index=True))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class WalkListCode(SQLModel, table=True):
    """A MiniVAN-style list code: a volunteer without an account types it to get a token for this
    one list. Stored as an HMAC of the normalised code (keyed by the server's SECRET_KEY), never
    in clear: the full code is shown once, when it is made, and `hint` (its last characters)
    tells codes apart afterwards. Codes are typed without a campaign, so they are looked up by
    hash alone (a code is drawn again when its hash exists in any campaign)."""

    __tablename__ = "walk_list_code"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("campaign_id", "code_hash"),
        Index("ix_walk_list_code_code_hash", "code_hash"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    walk_list_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    code_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    hint: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())

    @classmethod
    def live(cls) -> ColumnElement[bool]:
        """The SQL condition of a code that still works: not revoked, not expired."""
        return and_(col(cls.revoked_at).is_(None), col(cls.expires_at) > func.now())
