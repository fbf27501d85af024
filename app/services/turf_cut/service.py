"""Cutting an area into turfs in one call: the area and its counted doors come from the
database, the cut itself is pure computation (`turf_cut.cut_turfs`, in a worker thread), and
saved turfs are ordinary turfs (lists can be built on them at once).
"""

import asyncio
import math
from typing import Any

import numpy as np
import shapely
from shapely import wkb
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unprocessable
from app.geo import (
    COORD_DECIMALS,
    DEFAULT_LIMITS,
    GeometryError,
    GeometryLimits,
    areal_from_geojson,
    to_wkb,
)
from app.schemas.turfs import CutArea, CutMetrics, CutTurfOut, TurfCutIn, TurfCutOut
from app.services.access.tenancy import Tenant
from app.services.geography.turfs import owned_precincts
from app.services.turf_cut import queries
from app.services.turf_cut.budget import CutBudget, CutStopped
from app.services.turf_cut.cutter import TurfCountError, cut_turfs
from app.services.turf_cut.metrics import CutFigures
from app.services.walk_lists.targeting import NEVER_CANVASSED, filter_predicates

_TURF = "SELECT ST_AsBinary(geom) FROM turf WHERE campaign_id = :cid AND id = :id"


async def _area(
    session: AsyncSession, tenant: Tenant, area: CutArea, limits: GeometryLimits
) -> BaseGeometry:
    """The area as shapely (lon/lat); only the caller's campaign's precincts and turfs."""
    params: dict[str, Any] = {"cid": tenant.campaign_id}
    if area.precinct_ids is not None:
        ids = await owned_precincts(session, tenant, area.precinct_ids, "body.area.precinct_ids")
        blob = (
            await session.execute(text(queries.PRECINCT_UNION), params | {"ids": ids})
        ).scalar_one()
        return wkb.loads(bytes(blob))
    if area.turf_id is not None:
        blob = (await session.execute(text(_TURF), params | {"id": area.turf_id})).scalar()
        if blob is None:
            raise Unprocessable.on_field("body.area.turf_id", f"turf {area.turf_id} not found")
        return wkb.loads(bytes(blob))
    try:
        # CPU work on a large drawing: in a worker thread, like the cut itself
        return await asyncio.to_thread(
            areal_from_geojson, area.geometry, repair=False, limits=limits
        )
    except GeometryError as exc:
        raise Unprocessable.on_field("body.area.geometry", str(exc)) from None


async def _doors(
    session: AsyncSession, tenant: Tenant, area: BaseGeometry, data: TurfCutIn
) -> list[Any]:
    params: dict[str, Any] = {"cid": tenant.campaign_id, "area": to_wkb(area)}
    if data.filters is None:
        return list((await session.execute(text(queries.ALL_DOORS), params)).all())
    predicates, extra = filter_predicates(data.filters)
    sql = queries.FILTERED_DOORS.format(never_canvassed=NEVER_CANVASSED, predicates=predicates)
    return list((await session.execute(text(sql), params | extra)).all())


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with coordinates cut to ~1 cm, as the database's ST_AsGeoJSON gives them."""
    return mapping(shapely.transform(geometry, lambda xy: np.round(xy, COORD_DECIMALS)))


async def cut(
    session: AsyncSession,
    tenant: Tenant,
    data: TurfCutIn,
    limits: GeometryLimits = DEFAULT_LIMITS,
    budget: CutBudget | None = None,
) -> TurfCutOut:
    """Cut the area into turfs (saved, or a preview), with the figures of the cut. `budget`:
    how long the cut may run, and its off switch (the caller's: the request's time limit, a
    client that went away); none, no limit."""
    area = await _area(session, tenant, data.area, limits)
    if area.is_empty or area.area == 0:
        raise Unprocessable.on_field("body.area", "the area is empty")
    doors = await _doors(session, tenant, area, data)
    if not doors:
        raise Unprocessable.on_field("body.area", "no doors to count in the area")
    if data.turf_count is not None:
        count = data.turf_count
    else:
        assert data.doors_per_turf is not None  # the schema asks for one of the two
        count = max(1, round(len(doors) / data.doors_per_turf))
    lon = np.array([d.lon for d in doors], dtype=float)
    lat = np.array([d.lat for d in doors], dtype=float)
    people = np.array([d.people for d in doors], dtype=np.int64)
    budget = budget or CutBudget()
    try:
        # Layout, assignment and routes are CPU work: keep them off the event loop. A worker
        # thread cannot be interrupted, so a cancelled request (server stopping) cancels the
        # budget, which the cut's loops check.
        result = await asyncio.to_thread(cut_turfs, lon, lat, area, count, budget)
    except asyncio.CancelledError:
        budget.cancel()
        raise
    except CutStopped as exc:
        message = f"{exc}: cut a smaller area, or into fewer turfs"
        raise Unprocessable.on_field("body.turf_count", message) from None
    except TurfCountError as exc:  # more turfs than doors, or than the points they stand at
        size = "body.turf_count" if data.turf_count is not None else "body.doors_per_turf"
        raise Unprocessable.on_field(size, str(exc)) from None
    except ValueError as exc:  # an area the cut cannot use (the message says why)
        raise Unprocessable.on_field("body.area", str(exc)) from None

    width = len(str(len(result.turfs)))
    names = [f"{data.name_prefix} {n:0{width}d}" for n in range(1, len(result.turfs) + 1)]
    ids: list[int | None] = [None] * len(result.turfs)
    if data.save:
        saved = await session.execute(
            text(queries.SAVE),
            {
                "cid": tenant.campaign_id,
                "names": names,
                "geoms": [to_wkb(t.geometry) for t in result.turfs],
            },
        )
        ids = list(saved.scalars())
    turfs = [
        CutTurfOut(
            id=turf_id,
            name=name,
            geometry=_geojson(t.geometry),
            door_count=t.door_count,
            person_count=int(people[t.doors].sum()),
            walk_m=round(t.walk_m, 1),
        )
        for turf_id, name, t in zip(ids, names, result.turfs, strict=True)
    ]
    return TurfCutOut(turfs=turfs, metrics=_reported(result.metrics))


def _reported(figures: CutFigures) -> CutMetrics:
    """The figures the API reports: ratios and lengths to 4 decimals (finite: JSON has no NaN)."""

    def short(value: float) -> float:
        return round(value, 4) if math.isfinite(value) else 0.0

    return CutMetrics(
        doors=figures["doors"],
        turfs=figures["turfs"],
        min_doors=figures["min_doors"],
        max_doors=figures["max_doors"],
        mean_doors=short(figures["mean_doors"]),
        imbalance=short(figures["imbalance"]),
        overlap_m2=short(figures["overlap_m2"]),
        unassigned_doors=figures["unassigned_doors"],
        noncontiguous_turfs=figures["noncontiguous_turfs"],
        mean_compactness=short(figures["mean_compactness"]),
        total_walk_m=short(figures["total_walk_m"]),
        building_turfs=figures["building_turfs"],
        notes=[figures["note"]] if "note" in figures else [],
    )
