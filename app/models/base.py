"""Shared column helpers and the constraint naming convention.

Tenant-owned tables have the primary key (campaign_id, id) and reference each other with
composite foreign keys that include campaign_id. That makes a cross-tenant reference impossible
in the database itself, and keeps every unique constraint sharded-ready (Citus by campaign_id).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from geoalchemy2 import alembic_helpers
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, MetaData, func
from sqlalchemy.orm import QueryableAttribute
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


def id_column() -> Column[int]:
    return Column("id", BigInteger, Identity(), primary_key=True)


def campaign_pk_column() -> Column[int]:
    return Column(
        "campaign_id",
        BigInteger,
        ForeignKey("campaign.id", ondelete="CASCADE"),
        primary_key=True,
    )


def created_at_column() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Column[datetime]:
    return Column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class HasId(Protocol):
    """A row whose primary key includes a database-generated `id` (None until flushed)."""

    @property
    def id(self) -> int | None: ...


def flushed_id(row: HasId) -> int:
    """The id of a row the database has numbered (added and flushed, or loaded)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def orm_attribute(field: object) -> QueryableAttribute[Any]:
    """A table model's field as the ORM attribute it is at class level, for the loader options
    (defer, load_only) that SQLModel's value typing of the field does not fit."""
    if not isinstance(field, QueryableAttribute):
        raise TypeError(f"not a mapped attribute: {field!r}")
    return field


# geoalchemy2's hook has no annotations; its signature is alembic's include_object hook.
_geoalchemy_include: Callable[[Any, str | None, str, bool, Any], bool] = (
    alembic_helpers.include_object
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: PostGIS's own tables (spatial_ref_sys...) are not ours to manage."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return _geoalchemy_include(obj, name, type_, reflected, compare_to)
