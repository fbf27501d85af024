"""Automatic turf cutting: split an area's doors into balanced, compact, contiguous turfs.

Pure numpy/scipy/shapely (no database, no I/O), so the API can run it in a worker thread.

1. Project to local metres (equirectangular around the doors' mean point; linear, so straight
   edges stay straight) and merge doors at an identical point into one weighted *location*:
   such doors are indivisible and always land in the same turf.
2. `partition.partition`: a turf per location, balanced and compact (a location holding
   more doors than a turf's share is a turf of its own).
3. Polygons: the Voronoi cells of the distinct locations (each location strictly inside its
   own cell), merged per turf and clipped to the area (`shapes`).
4. `repair` on the cells' adjacency: stray pieces of a turf join a neighbour (a turf
   keeps one body per piece of the area), then chains of neighbouring turfs pass border
   locations until every ordinary turf holds floor/ceil of the mean door count, wherever
   stacked doors allow.
5. A walking route per turf (`walk_lists.route_planner.plan_route`) gives walk_m.

Deterministic: no randomness anywhere; the same input gives the same turfs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from app.geo import Projection
from app.services.turf_cut.budget import UNLIMITED, CutBudget
from app.services.turf_cut.metrics import CutFigures, cut_metrics
from app.services.turf_cut.partition import partition
from app.services.turf_cut.repair import LocationGraph, merge_strays, rebalance
from app.services.turf_cut.shapes import (
    adjacency,
    cells,
    polygonal,
    turf_geometries,
)
from app.services.walk_lists.route_planner import RouteSettings, plan_route

ROUTE_SETTINGS = RouteSettings(effort=0.0)
# Turfs are walked by one canvasser in a shift: a cut into more is a mistake (5000 turfs of a
# 20,000-door city), and the repairs grow with the turf count.
MAX_TURFS = 1000


class TurfCountError(ValueError):
    """The turf count cannot be met by these doors (as opposed to an unusable area)."""


@dataclass(frozen=True)
class CutTurf:
    """doors: sorted indices into the input points. geometry: Polygon/MultiPolygon in lon/lat.
    compactness: Polsby-Popper 4*pi*A/P^2 in local metres (1 for a disc)."""

    doors: np.ndarray
    geometry: BaseGeometry
    door_count: int
    walk_m: float
    compactness: float


@dataclass(frozen=True)
class CutResult:
    turfs: list[CutTurf]
    metrics: CutFigures


# ---------------------------------------------------------------------------------------------
# Inputs and projection


def _validate(lon: np.ndarray, lat: np.ndarray, area: BaseGeometry, turf_count: int) -> None:
    if isinstance(turf_count, bool) or int(turf_count) != turf_count:
        raise TurfCountError("turf_count must be an integer")
    if turf_count < 1:
        raise TurfCountError("turf_count must be at least 1")
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-d arrays of the same length")
    if len(lon) == 0:
        raise ValueError("the area holds no doors")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("door coordinates must be finite numbers")
    if turf_count > MAX_TURFS:
        raise TurfCountError(
            f"at most {MAX_TURFS} turfs per cut; cut a smaller area, or into fewer turfs"
        )
    if turf_count > len(lon):
        raise TurfCountError(
            f"turf_count ({turf_count}) is larger than the number of doors ({len(lon)})"
        )
    if area is None or area.is_empty:
        raise ValueError("the area is empty")
    if area.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"the area must be a Polygon or MultiPolygon, not {area.geom_type}")
    if not area.is_valid:
        raise ValueError(f"the area is not a valid polygon: {shapely.is_valid_reason(area)}")
    if area.area <= 0:
        raise ValueError("the area has no surface")
    outside = ~shapely.covers(area, shapely.points(lon, lat))
    if outside.any():
        raise ValueError(f"{int(outside.sum())} doors lie outside the area")


# ---------------------------------------------------------------------------------------------
# The cut


def cut_turfs(
    lon: np.ndarray,
    lat: np.ndarray,
    area: BaseGeometry,
    turf_count: int,
    budget: CutBudget = UNLIMITED,
) -> CutResult:
    """Split the doors at (lon, lat) (WGS84 degrees, one entry per door; doors of one building
    share a point) inside `area` (Polygon/MultiPolygon, lon/lat) into `turf_count` turfs.

    Raises TurfCountError (a ValueError) for turf_count < 1, above MAX_TURFS, or above the
    number of doors or of distinct door points; ValueError for no doors, doors outside the
    area, and an empty or invalid area. The message says why. CutStopped when the `budget`
    runs out or is cancelled.
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    _validate(lon, lat, area, turf_count)
    k = int(turf_count)
    n = len(lon)

    # distinct locations (exact coordinates): stacked doors are one weighted location
    keys, inverse, counts = np.unique(
        np.column_stack([lon, lat]), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    if k > len(keys):
        raise TurfCountError(
            f"turf_count ({k}) is larger than the number of distinct door locations "
            f"({len(keys)}): doors at one point cannot be split between turfs"
        )
    proj = Projection.around(keys[:, 0], keys[:, 1])
    xy = proj.forward(keys)
    w = counts.astype(np.int64)

    label, building_turfs = partition(xy, w, k, budget)

    area_m = shapely.transform(area, proj.forward)
    if not area_m.is_valid:  # pragma: no cover - rounding in the (linear) projection
        area_m = shapely.make_valid(area_m)
    cell_of = cells(xy, area_m)
    if k > 1:
        graph = LocationGraph(adjacency(xy, cell_of, area_m))
        merge_strays(graph, w, label, k, building_turfs, budget)
        rebalance(graph, xy, w, label, k, building_turfs, budget)
    geoms_m = turf_geometries(cell_of, xy, label, k, area_m)

    door_label = label[inverse]
    turfs: list[CutTurf] = []
    for t in range(k):
        budget.check()
        doors = np.flatnonzero(door_label == t)
        g_m = geoms_m[t]
        a, p = float(g_m.area), float(g_m.length)
        compactness = 4 * math.pi * a / (p * p) if p > 0 else 0.0
        g = polygonal(shapely.intersection(shapely.transform(g_m, proj.inverse), area))
        if g.is_empty:  # pragma: no cover
            g = MultiPolygon()
        route = plan_route(lon[doors], lat[doors], settings=ROUTE_SETTINGS)
        turfs.append(
            CutTurf(
                doors=doors,
                geometry=g,
                door_count=len(doors),
                walk_m=float(route.distance_m),
                compactness=float(compactness),
            )
        )
    metrics = cut_metrics(turfs, geoms_m, area_m, n, int(w.max()), building_turfs)
    return CutResult(turfs=turfs, metrics=metrics)
