"""The voter file: households (one door each) and the people living there."""

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    Text,
    UniqueConstraint,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column, updated_at_column


class Household(SQLModel, table=True):
    """One door. People at the same normalised address share it (see services.addresses)."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("campaign_id", "address_key"),
        ForeignKeyConstraint(
            ["campaign_id", "precinct_id"],
            ["precinct.campaign_id", "precinct.id"],
            ondelete="SET NULL (precinct_id)",
        ),
        Index("ix_household_campaign_id_precinct_id", "campaign_id", "precinct_id"),
        Index("ix_household_geom", "geom", postgresql_using="gist"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    address_key: str = Field(sa_column=Column(Text, nullable=False))
    house_number: str = Field(sa_column=Column(Text, nullable=False))
    house_suffix: str | None = Field(default=None, sa_column=Column(Text))
    street: str = Field(sa_column=Column(Text, nullable=False))
    unit: str | None = Field(default=None, sa_column=Column(Text))
    city: str | None = Field(default=None, sa_column=Column(Text))
    state: str | None = Field(default=None, sa_column=Column(Text))
    zip: str | None = Field(default=None, sa_column=Column(Text))
    geom: Any = Field(
        default=None, sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False))
    )
    precinct_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    wrong_address: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class Person(SQLModel, table=True):
    """A voter. campaign_id has no foreign key of its own: the household's composite key
    already ties it to an existing campaign, and one check a row is what a bulk import pays."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("campaign_id", "external_id"),
        # Deleting a campaign cascades campaign -> household -> person. The composite key
        # also keeps a person in the campaign of their household.
        ForeignKeyConstraint(
            ["campaign_id", "household_id"],
            ["household.campaign_id", "household.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("support_level between 1 and 5", name="support_level_range"),
        Index("ix_person_campaign_id_household_id", "campaign_id", "household_id"),
        Index("ix_person_tags", "tags", postgresql_using="gin"),
        # Name search is a case-folded prefix match (LIKE 'smi%'), whatever the collation.
        Index(
            "ix_person_campaign_id_last_name",
            "campaign_id",
            func.lower(column("last_name")).label("lower_last_name"),
            postgresql_ops={"lower_last_name": "text_pattern_ops"},
        ),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    id: int | None = Field(default=None, sa_column=id_column())
    external_id: str = Field(sa_column=Column(Text, nullable=False))
    household_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_name: str = Field(sa_column=Column(Text, nullable=False))
    middle_name: str | None = Field(default=None, sa_column=Column(Text))
    last_name: str = Field(sa_column=Column(Text, nullable=False))
    suffix: str | None = Field(default=None, sa_column=Column(Text))
    birth_date: date | None = Field(default=None, sa_column=Column(Date))
    birth_year: int | None = Field(default=None, sa_column=Column(SmallInteger))
    sex: str | None = Field(default=None, sa_column=Column(Text))
    party: str | None = Field(default=None, sa_column=Column(Text))
    phone: str | None = Field(default=None, sa_column=Column(Text))
    email: str | None = Field(default=None, sa_column=Column(Text))
    support_level: int | None = Field(default=None, sa_column=Column(SmallInteger))
    is_volunteer: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    is_donor: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    do_not_contact: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    deceased: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    moved: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    tags: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    )
    custom_fields: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    last_contacted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
