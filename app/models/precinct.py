"""Precincts: the voting districts households are assigned to by point-in-polygon."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column, updated_at_column


class Precinct(SQLModel, table=True):
    __tablename__ = "precinct"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        Index("ix_precinct_geom", "geom", postgresql_using="gist"),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    code: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    geom: Any = Field(
        sa_column=Column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
