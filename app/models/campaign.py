"""Campaigns (tenants), their accounts and roles, login sessions, and failed tries.

An account belongs to one campaign: the same e-mail in two campaigns is two accounts, with
their own passwords, so that no campaign can ever set or learn the password of an account that
another campaign grants rights to (README, Security).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column


class Role(StrEnum):
    admin = "admin"
    organizer = "organizer"
    canvasser = "canvasser"
    data_entry = "data_entry"


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: int | None = Field(default=None, sa_column=id_column())
    slug: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    # The last walk-list number handed out: numbers are printed on sheets, so never reused.
    last_list_number: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class User(SQLModel, table=True):
    """An account: a person's login in one campaign (e-mail unique within the campaign)."""

    __tablename__ = "app_user"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email"),
        Index("ix_app_user_email", "email"),  # a login without a campaign
    )
    # The ORM knows an account by its id (drawn from one identity, so unique in practice; every
    # reference in the database is (campaign_id, id)), so session.get(User, id) works.
    __mapper_args__ = {"primary_key": ["id"]}

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    email: str = Field(sa_column=Column(Text, nullable=False))  # stored lower-case
    name: str = Field(sa_column=Column(Text, nullable=False))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    # Set by an admin's password reset: the account may only change its password until then.
    must_change_password: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    deactivated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Membership(SQLModel, table=True):
    """The account's role in its campaign (one row per account)."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "role in ('admin', 'organizer', 'canvasser', 'data_entry')", name="role_known"
        ),
        ForeignKeyConstraint(
            ["campaign_id", "user_id"], ["app_user.campaign_id", "app_user.id"], ondelete="CASCADE"
        ),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    role: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AuthSession(SQLModel, table=True):
    """A login: every access token names one, and every request checks that it still exists.
    Logging out, and an admin ending a user's sessions, delete rows here."""

    __tablename__ = "auth_session"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "user_id"], ["app_user.campaign_id", "app_user.id"], ondelete="CASCADE"
        ),
        Index("ix_auth_session_campaign_id_user_id", "campaign_id", "user_id"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AuthFailure(SQLModel, table=True):
    """One failed try (a wrong password, an unknown list code) against a throttle key: the
    SHA-256 of what is throttled (an account, a client address), never the value itself.
    Not tenant-owned: an address or an e-mail spans campaigns. Rows live for minutes."""

    __tablename__ = "auth_failure"
    __table_args__ = (
        Index("ix_auth_failure_key_at", "key", "at"),
        Index("ix_auth_failure_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=id_column())
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    at: datetime | None = Field(default=None, sa_column=created_at_column())
