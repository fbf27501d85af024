"""Shared column helpers and the constraint naming convention.

Tenant-owned tables have the primary key (campaign_id, id) and reference each other with
composite foreign keys that include campaign_id. That makes a cross-tenant reference impossible
in the database itself, and keeps every unique constraint sharded-ready (Citus by campaign_id).
"""

from typing import Any

from geoalchemy2 import alembic_helpers
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, MetaData, func
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


def id_column() -> Any:
    return Column("id", BigInteger, Identity(), primary_key=True)


def campaign_pk_column() -> Any:
    return Column(
        "campaign_id",
        BigInteger,
        ForeignKey("campaign.id", ondelete="CASCADE"),
        primary_key=True,
    )


def created_at_column() -> Any:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Any:
    return Column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: PostGIS's own tables (spatial_ref_sys...) are not ours to manage."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
