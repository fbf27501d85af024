"""Campaigns (tenants), users and their memberships (one role per campaign)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from app.models.base import created_at_column, id_column


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
    """A person who logs in. Global, because one organizer may work for several campaigns."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, sa_column=id_column())
    email: str = Field(sa_column=Column(Text, nullable=False, unique=True))  # stored lower-case
    name: str = Field(sa_column=Column(Text, nullable=False))
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "role in ('admin', 'organizer', 'canvasser', 'data_entry')", name="role_known"
        ),
    )

    campaign_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    role: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
