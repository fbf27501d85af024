"""Precincts: GeoJSON import (upsert by code), listing with counts, household assignment."""

import asyncio
import math
from typing import Any

from sqlalchemy import Row, SQLColumnExpression, bindparam, func, text
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text
from sqlmodel import col

from app.db import analyze
from app.errors import NotFound
from app.geo import (
    DEFAULT_LIMITS,
    GeometryError,
    GeometryLimits,
    areal_from_geojson,
    as_geojson_sql,
    load_geojson,
    to_wkb,
)
from app.models import Household, Person, Precinct
from app.pagination import PageParams
from app.schemas.common import MAX_NAME, text_problem
from app.schemas.precincts import PrecinctDetail, PrecinctImportOut, RejectedFeature
from app.services.access.tenancy import Tenant, tenant_select
from app.services.geography import queries

MAX_CODE = 100

_UPSERT = text(
    """
    INSERT INTO precinct (campaign_id, code, name, geom)
    SELECT :cid, f.code, f.name, ST_Multi(ST_GeomFromWKB(f.wkb, 4326))
    FROM unnest(:codes, :names, :wkbs) AS f(code, name, wkb)
    ON CONFLICT (campaign_id, code) DO UPDATE
        SET name = excluded.name, geom = excluded.geom, updated_at = now()
    RETURNING (xmax = 0) AS inserted
    """
).bindparams(
    bindparam("codes", type_=ARRAY(Text)),
    bindparam("names", type_=ARRAY(Text)),
    bindparam("wkbs", type_=ARRAY(BYTEA)),
)


async def assign_household_precincts(session: AsyncSession, tenant: Tenant) -> None:
    """Re-locate every household that has a point, after the precincts changed.

    Precincts drive the join, so each polygon is tested against the points in its bounding box
    and PostGIS reuses its prepared form; a point on a shared boundary goes to the precinct
    with the smaller code (the voter import applies the same rule). Fresh statistics keep the
    planner on the GiST index when the tables have just been filled.
    """
    await analyze(session, "household", "precinct")
    await session.execute(text(queries.ASSIGN), {"cid": tenant.campaign_id})


def _property_text(props: dict[str, Any], name: str, what: str, max_length: int) -> str | None:
    """A code or name property as text: a string or a number (a list, an object or a boolean
    is refused rather than stored as Python's rendering of it); None when absent or empty."""
    value = props.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = type(value).__name__.replace("dict", "object").replace("list", "array")
        raise GeometryError(f"{what} property {name!r} must be a string or a number, not {kind}")
    if isinstance(value, float) and not math.isfinite(value):
        raise GeometryError(f"{what} property {name!r} must be a finite number")
    text = str(value).strip()
    problem = text_problem(text)
    if problem:
        raise GeometryError(f"{what} property {name!r} {problem}")
    if len(text) > max_length:
        raise GeometryError(f"{what} property {name!r} is longer than {max_length} characters")
    return text or None


def _feature_fields(
    feature: Any, code_property: str, name_property: str | None, limits: GeometryLimits
) -> tuple[str, str, bytes]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise GeometryError("not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise GeometryError("properties must be an object")
    code = _property_text(props, code_property, "code", MAX_CODE)
    if code is None:
        raise GeometryError(f"missing code property {code_property!r}")
    name = _property_text(props, name_property, "name", MAX_NAME) if name_property else None
    geom = areal_from_geojson(feature.get("geometry"), limits=limits)
    return code, name or code, to_wkb(geom)


def _checked_features(
    features: list[Any], code_property: str, name_property: str | None, limits: GeometryLimits
) -> list[tuple[str, str, bytes] | GeometryError]:
    """Each feature's code, name and WKB, or why it is refused (CPU work: a worker thread)."""
    out: list[tuple[str, str, bytes] | GeometryError] = []
    for feature in features:
        if isinstance(feature, GeometryError):  # refused while it was read (too large)
            out.append(feature)
            continue
        try:
            out.append(_feature_fields(feature, code_property, name_property, limits))
        except GeometryError as exc:
            out.append(exc)
    return out


async def import_precincts(
    session: AsyncSession,
    tenant: Tenant,
    features: list[Any],
    code_property: str,
    name_property: str | None,
    limits: GeometryLimits = DEFAULT_LIMITS,
) -> PrecinctImportOut:
    """Upsert precincts by code; bad features are reported by index and the rest kept.
    Geometry is checked and repaired in a worker thread, so the server keeps answering."""
    rejected: list[RejectedFeature] = []
    seen: dict[str, int] = {}
    codes: list[str] = []
    names: list[str] = []
    wkbs: list[bytes] = []
    checked = await asyncio.to_thread(
        _checked_features, features, code_property, name_property, limits
    )
    for index, fields in enumerate(checked):
        if isinstance(fields, GeometryError):
            rejected.append(RejectedFeature(index=index, message=str(fields)))
            continue
        code, name, wkb = fields
        if code in seen:
            message = f"duplicate code {code!r} (also feature {seen[code]})"
            rejected.append(RejectedFeature(index=index, message=message))
            continue
        seen[code] = index
        codes.append(code)
        names.append(name)
        wkbs.append(wkb)
    created = updated = 0
    if codes:
        params = {"cid": tenant.campaign_id, "codes": codes, "names": names, "wkbs": wkbs}
        inserted = (await session.execute(_UPSERT, params)).scalars().all()
        created = sum(1 for i in inserted if i)
        updated = len(inserted) - created
        await assign_household_precincts(session, tenant)
    return PrecinctImportOut(created=created, updated=updated, rejected=rejected)


async def _counts(
    session: AsyncSession, tenant: Tenant, ids: list[int]
) -> dict[int, tuple[int, int]]:
    if not ids:
        return {}
    stmt = (
        tenant_select(
            tenant,
            Household,
            col(Household.precinct_id),
            func.count(func.distinct(col(Household.id))),
            func.count(col(Person.id)),
        )
        .outerjoin(
            Person,
            (col(Person.campaign_id) == Household.campaign_id)
            & (col(Person.household_id) == Household.id),
        )
        .where(col(Household.precinct_id).in_(ids))
        .group_by(col(Household.precinct_id))
    )
    return {r[0]: (r[1], r[2]) for r in (await session.execute(stmt)).all()}


def _summary(row: Row[*tuple[Any, ...]], counts: dict[int, tuple[int, int]]) -> dict[str, Any]:
    households, people = counts.get(row.id, (0, 0))
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "household_count": households,
        "person_count": people,
    }


async def list_precincts(
    session: AsyncSession, tenant: Tenant, page: PageParams, with_geometry: bool
) -> list[dict[str, Any]]:
    """One page (limit+1 rows, by id) of precinct summaries; with GeoJSON geometry if asked."""
    columns: list[SQLColumnExpression[Any]] = [
        col(Precinct.id),
        col(Precinct.code),
        col(Precinct.name),
    ]
    if with_geometry:
        columns.append(as_geojson_sql(Precinct.geom).label("geojson"))
    stmt = (
        tenant_select(tenant, Precinct, *columns).order_by(col(Precinct.id)).limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(col(Precinct.id) > page.after_id)
    rows = (await session.execute(stmt)).all()
    counts = await _counts(session, tenant, [r.id for r in rows])
    out = []
    for row in rows:
        item = _summary(row, counts)
        if with_geometry:
            item["geometry"] = load_geojson(row.geojson)
        out.append(item)
    return out


async def get_precinct(session: AsyncSession, tenant: Tenant, precinct_id: int) -> PrecinctDetail:
    """One precinct with its counts and GeoJSON geometry."""
    stmt = tenant_select(
        tenant,
        Precinct,
        col(Precinct.id),
        col(Precinct.code),
        col(Precinct.name),
        as_geojson_sql(Precinct.geom).label("geojson"),
    ).where(col(Precinct.id) == precinct_id)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise NotFound(f"precinct {precinct_id} not found")
    item = _summary(row, await _counts(session, tenant, [row.id]))
    item["geometry"] = load_geojson(row.geojson)
    return PrecinctDetail.model_validate(item)
