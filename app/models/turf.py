"""Turf: an area to canvass, drawn or made of precincts."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Column, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column


class Turf(SQLModel, table=True):
    __tablename__ = "turf"
    __table_args__ = (Index("ix_turf_geom", "geom", postgresql_using="gist"),)

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False))
    # The precincts it was made from (empty for a drawn turf): a record, not a live link.
    precinct_ids: list[int] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(BigInteger), nullable=False, server_default=text("'{}'")),
    )
    geom: Any = Field(
        sa_column=Column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
