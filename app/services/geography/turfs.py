"""Turf: areas to canvass, from precincts or drawn. A household belongs to a turf when the
turf covers its point (boundary included)."""

import asyncio
from typing import Any

from sqlalchemy import Row, bindparam, delete, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger
from sqlmodel import col

from app.errors import Conflict, NotFound, Unprocessable
from app.geo import (
    COORD_DECIMALS,
    DEFAULT_LIMITS,
    GeometryError,
    GeometryLimits,
    areal_from_geojson,
    load_geojson,
    to_wkb,
)
from app.models import Precinct, Turf
from app.pagination import PageParams
from app.schemas.turfs import TurfDetail, TurfIn
from app.services.access.tenancy import Tenant, tenant_select
from app.services.geography import queries

_FROM_PRECINCTS = text(
    """
    INSERT INTO turf (campaign_id, name, precinct_ids, geom)
    SELECT :cid, :name, :ids, ST_Multi(ST_CollectionExtract(ST_Union(geom), 3))
    FROM precinct WHERE campaign_id = :cid AND id = ANY(:ids)
    RETURNING id
    """
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))

_FROM_GEOMETRY = text(
    """
    INSERT INTO turf (campaign_id, name, precinct_ids, geom)
    VALUES (:cid, :name, '{}', ST_Multi(ST_GeomFromWKB(:wkb, 4326)))
    RETURNING id
    """
)

_GEOMETRY = f", ST_AsGeoJSON(t.geom, {COORD_DECIMALS}) AS geojson"


async def owned_precincts(
    session: AsyncSession, tenant: Tenant, precinct_ids: list[int], loc: str
) -> list[int]:
    """The ids, without repeats, once each is known to be the campaign's; else 422 naming the
    unknown ones by position (another campaign's precincts are unknown here)."""
    ids = list(dict.fromkeys(precinct_ids))
    found = set(
        (
            await session.execute(
                tenant_select(tenant, Precinct, col(Precinct.id)).where(col(Precinct.id).in_(ids))
            )
        ).scalars()
    )
    missing = [
        (f"{loc}[{i}]", f"precinct {pid} not found")
        for i, pid in enumerate(precinct_ids)
        if pid not in found
    ]
    if missing:
        raise Unprocessable.on_fields("Unknown precincts", missing)
    return ids


async def create_turf(
    session: AsyncSession, tenant: Tenant, data: TurfIn, limits: GeometryLimits = DEFAULT_LIMITS
) -> TurfDetail:
    """A turf from the union of the campaign's precincts or from a drawn polygon (not repaired:
    an invalid drawing is refused with the reason; checked in a worker thread)."""
    params: dict[str, Any] = {"cid": tenant.campaign_id, "name": data.name}
    if data.precinct_ids is not None:
        ids = await owned_precincts(session, tenant, data.precinct_ids, "body.precinct_ids")
        turf_id = (await session.execute(_FROM_PRECINCTS, params | {"ids": ids})).scalar_one()
    else:
        try:
            geom = await asyncio.to_thread(
                areal_from_geojson, data.geometry, repair=False, limits=limits
            )
        except GeometryError as exc:
            raise Unprocessable.on_field("body.geometry", str(exc)) from None
        turf_id = (
            await session.execute(_FROM_GEOMETRY, params | {"wkb": to_wkb(geom)})
        ).scalar_one()
    return await get_turf(session, tenant, turf_id)


def _out(row: Row[*tuple[Any, ...]], with_geometry: bool) -> dict[str, Any]:
    """A turf summary row, as TurfOut (or TurfDetail, with the geometry) reads it."""
    item = {
        "id": row.id,
        "name": row.name,
        "precinct_ids": list(row.precinct_ids),
        "household_count": row.households,
        "person_count": row.people,
        "created_at": row.created_at,
    }
    if with_geometry:
        item["geometry"] = load_geojson(row.geojson)
    return item


async def list_turfs(
    session: AsyncSession, tenant: Tenant, page: PageParams, with_geometry: bool
) -> list[dict[str, Any]]:
    """A page of turfs with their door counts, as features when `with_geometry` (by id)."""
    sql = queries.SUMMARY.format(geometry=_GEOMETRY if with_geometry else "", where="t.id > :after")
    params = {"cid": tenant.campaign_id, "after": page.after_id or 0, "limit": page.limit + 1}
    rows = (await session.execute(text(sql), params)).all()
    return [_out(r, with_geometry) for r in rows]


async def get_turf(session: AsyncSession, tenant: Tenant, turf_id: int) -> TurfDetail:
    """One turf with its counts and GeoJSON geometry."""
    sql = queries.SUMMARY.format(geometry=_GEOMETRY, where="t.id = :id")
    params = {"cid": tenant.campaign_id, "id": turf_id, "limit": 1}
    row = (await session.execute(text(sql), params)).one_or_none()
    if row is None:
        raise NotFound(f"turf {turf_id} not found")
    return TurfDetail.model_validate(_out(row, with_geometry=True))


async def delete_turf(session: AsyncSession, tenant: Tenant, turf_id: int) -> None:
    """Delete a turf; 409 while something (a walk list) still refers to it."""
    try:
        async with session.begin_nested():
            await session.execute(
                text("SET CONSTRAINTS fk_walk_list_campaign_id_turf_id_turf IMMEDIATE")
            )
            deleted = await session.execute(
                delete(Turf)
                .where(col(Turf.campaign_id) == tenant.campaign_id, col(Turf.id) == turf_id)
                .returning(col(Turf.id))
            )
            found = deleted.scalar_one_or_none() is not None
    except IntegrityError:
        raise Conflict(f"turf {turf_id} is in use by a walk list") from None
    if not found:
        raise NotFound(f"turf {turf_id} not found")
