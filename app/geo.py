"""The only place that converts GeoJSON <-> shapely <-> PostGIS.

GeoJSON at the API edge is RFC 7946 (WGS84 lon/lat). Geometry goes into PostGIS as WKB with
SRID 4326 and comes out through ST_AsGeoJSON, so the database does the serialising.
"""

import json
import math
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, func

SRID = 4326
GEOJSON = "application/geo+json"
COORD_DECIMALS = 7  # ~1 cm; more digits are noise
EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)


class Feature(TypedDict):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(TypedDict):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    next: str | None  # a foreign member (RFC 7946 allows them): the next page's URL


class GeometryError(ValueError):
    """A geometry that cannot be used; the message says why, for the API's error list."""


def check_lon_lat(lon: Any, lat: Any) -> None:
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
        raise GeometryError("coordinates must be finite numbers")
    if (np.abs(lon_a) > 180).any():
        raise GeometryError("longitude out of range [-180, 180]")
    if (np.abs(lat_a) > 90).any():
        raise GeometryError("latitude out of range [-90, 90]")


@dataclass(frozen=True)
class GeometryLimits:
    """How much geometry one feature may carry and how broken it may be for a repair: the
    work of validating and repairing a polygon grows with its vertices, and a repair's work
    and memory with the places where it crosses itself (a hostile ring crossing itself
    everywhere would take minutes and gigabytes)."""

    max_vertices: int = 100_000
    max_crossings: int = 1_000


DEFAULT_LIMITS = GeometryLimits()


class GeometryTooComplex(GeometryError):
    """More vertices than allowed, or too many self-crossings to repair."""


def _vertex_count(kind: str, coordinates: Any) -> int:
    """Positions in a Polygon's or MultiPolygon's coordinates, counted before any parsing
    (what is not a list counts nothing: the schema check says what is wrong with it)."""
    polygons = coordinates if kind == "MultiPolygon" else [coordinates]
    if not isinstance(polygons, list):
        return 0
    return sum(
        len(ring)
        for polygon in polygons
        if isinstance(polygon, list)
        for ring in polygon
        if isinstance(ring, list)
    )


def self_crossings(geom: BaseGeometry, limit: int, batch: int = 64) -> int:
    """How many pairs of non-adjacent edges of the polygon's rings meet, counted up to a
    little over `limit` (then counting stops). Batches keep the memory of one query small
    even when every edge meets every other."""
    rings = [ring for part in shapely.get_parts(geom) for ring in (part.exterior, *part.interiors)]
    coords = [shapely.get_coordinates(r) for r in rings]
    starts = np.concatenate([c[:-1] for c in coords])
    ends = np.concatenate([c[1:] for c in coords])
    ring = np.concatenate([np.full(len(c) - 1, k) for k, c in enumerate(coords)])
    sizes = np.bincount(ring)
    position = np.arange(len(ring)) - np.concatenate([[0], np.cumsum(sizes)[:-1]])[ring]
    edges: np.ndarray = np.asarray(shapely.linestrings(np.stack([starts, ends], axis=1)))
    tree = shapely.STRtree(edges)
    count = 0
    for first in range(0, len(edges), batch):
        i, j = tree.query(edges[first : first + batch], predicate="intersects")
        i = i + first
        later = j > i
        i, j = i[later], j[later]
        gap = position[j] - position[i]
        adjacent = (ring[i] == ring[j]) & ((gap == 1) | (gap == sizes[ring[i]] - 1))
        count += int(np.count_nonzero(~adjacent))
        if count > limit:
            break
    return count


def _repaired(geom: BaseGeometry, reason: str, limits: GeometryLimits) -> BaseGeometry:
    geom = shapely.remove_repeated_points(geom)
    crossings = self_crossings(geom, limits.max_crossings)
    if crossings > limits.max_crossings:
        raise GeometryTooComplex(
            f"invalid polygon ({reason}) that crosses itself in more than "
            f"{limits.max_crossings} places: too broken to repair here; fix it in a GIS tool"
        )
    geom = shapely.make_valid(geom)
    polygons = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    geom = shapely.union_all(polygons) if polygons else shapely.Polygon()
    if geom.is_empty or geom.area == 0:
        raise GeometryError(f"invalid polygon that cannot be repaired: {reason}")
    return geom


def _ring_array(ring: Any, where: str) -> np.ndarray:
    """A GeoJSON linear ring as an (n, 2) array of lon/lat, checked as RFC 7946 says."""
    if not isinstance(ring, list):
        raise GeometryError(f"a ring must be an array of positions at {where}")
    if len(ring) < 4:
        raise GeometryError(f"a ring must have at least 4 items (positions) at {where}")
    try:
        array = np.asarray(ring)
    except ValueError:  # positions of different lengths
        array = np.empty((0, 0))
    if array.ndim != 2 or array.dtype.kind not in "iuf" or array.shape[1] not in (2, 3):
        raise GeometryError(f"positions must be [longitude, latitude] numbers at {where}")
    if array.shape[1] == 3:
        raise GeometryError("positions must be [longitude, latitude]; 3D positions are refused")
    array = array.astype(np.float64, copy=False)
    check_lon_lat(array[:, 0], array[:, 1])
    if not np.array_equal(array[0], array[-1]):
        raise GeometryError(f"a ring must end where it starts at {where}")
    return array


def _polygon_rings(kind: str, coordinates: Any) -> list[list[np.ndarray]]:
    """The rings of each polygon of a Polygon's or MultiPolygon's coordinates.

    Checked with numpy, not a pydantic model: a schema check of 100k positions holds the GIL
    for a quarter of a second even in a worker thread, and the event loop with it."""
    multi = kind == "MultiPolygon"
    polygons = coordinates if multi else [coordinates]
    if not isinstance(polygons, list) or not polygons:
        raise GeometryError(f"invalid {kind}: coordinates must be a non-empty array")
    out = []
    for p, rings in enumerate(polygons):
        where = f"coordinates[{p}]" if multi else "coordinates"
        if not isinstance(rings, list) or not rings:
            raise GeometryError(
                f"invalid {kind}: a polygon must be a non-empty array of rings at {where}"
            )
        out.append([_ring_array(ring, f"{where}[{r}]") for r, ring in enumerate(rings)])
    return out


def areal_from_geojson(
    geometry: Any, repair: bool = True, limits: GeometryLimits = DEFAULT_LIMITS
) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon -> a valid shapely MultiPolygon.

    With `repair`, invalid rings (self-intersections, bow-ties) are repaired with make_valid as
    long as the repaired shape still has area (imported official boundaries are often slightly
    broken); what collapses to lines or points is refused with a reason. Without it, an invalid
    polygon is refused with the reason (a drawn turf: the user should redraw it).

    CPU-bound for large polygons: call it from a worker thread (`asyncio.to_thread`), never on
    the event loop. GEOS releases the GIL while it validates and repairs. `limits` bound the
    work: too many vertices, or too many self-crossings to repair, raise GeometryTooComplex.
    """
    if not isinstance(geometry, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"geometry type {kind!r} is not allowed; use Polygon or MultiPolygon")
    vertices = _vertex_count(kind, geometry.get("coordinates"))
    if vertices > limits.max_vertices:
        raise GeometryTooComplex(
            f"{vertices} vertices; at most {limits.max_vertices} per geometry (simplify it)"
        )
    polygons = [
        Polygon(rings[0], rings[1:]) for rings in _polygon_rings(kind, geometry.get("coordinates"))
    ]
    geom: BaseGeometry = polygons[0] if kind == "Polygon" else MultiPolygon(polygons)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            raise GeometryError(f"invalid polygon: {reason}")
        geom = _repaired(geom, reason, limits)
    if geom.is_empty or geom.area == 0:
        raise GeometryError("polygon has no area")
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon):  # a union of polygons is (multi)polygonal
        raise GeometryError(f"geometry type {geom.geom_type!r} is not allowed")
    return geom


def to_wkb(geom: BaseGeometry) -> bytes:
    """Bytes for a `ST_GeomFromWKB(:wkb, 4326)` parameter."""
    return shapely.to_wkb(geom)


def from_wkb_sql(param: Any) -> ColumnElement[Any]:
    return func.ST_GeomFromWKB(param, SRID)


def as_geojson_sql(column: Any) -> ColumnElement[str]:
    """SQL that renders a geometry column as GeoJSON text (parse it with `load_geojson`)."""
    return func.ST_AsGeoJSON(column, COORD_DECIMALS)


def load_geojson(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text is not None else None


def feature_collection(features: list[Feature], next_url: str | None = None) -> FeatureCollection:
    """A FeatureCollection; `next` (a foreign member, as RFC 7946 allows) pages like JSON lists."""
    return {"type": "FeatureCollection", "features": features, "next": next_url}


def page_features(rows: list[dict[str, Any]], next_url: str | None) -> FeatureCollection:
    """Rows that carry a `geometry` (and an `id`) -> a FeatureCollection page."""
    features = [
        feature(r["id"], r["geometry"], {k: v for k, v in r.items() if k != "geometry"})
        for r in rows
    ]
    return feature_collection(features, next_url)


def feature(fid: int, geometry: dict[str, Any] | None, properties: dict[str, Any]) -> Feature:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def wants_geojson(format: str | None, accept: str | None) -> bool:
    """`?format=geojson`, or no format and `Accept: application/geo+json`."""
    return format == "geojson" or (format is None and GEOJSON in (accept or ""))


@dataclass(frozen=True)
class Projection:
    """The local metric projection: metres east and north of a centre, equirectangular around
    the centre's latitude. Linear, so straight edges stay straight, and its error stays well
    under 1% across a city, which is all that turf cutting and walking routes need."""

    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray) -> "Projection":
        """Centred on the points' mean."""
        lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
        ky = math.pi / 180 * EARTH_RADIUS_M
        return cls(lon0, lat0, ky * math.cos(math.radians(lat0)), ky)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def forward(self, coords: np.ndarray) -> np.ndarray:
        """(n, 2) lon/lat -> (n, 2) metres."""
        return np.column_stack(self.xy(coords[:, 0], coords[:, 1]))

    def inverse(self, coords: np.ndarray) -> np.ndarray:
        """(n, 2) metres -> (n, 2) lon/lat."""
        return np.column_stack(
            [coords[:, 0] / self.kx + self.lon0, coords[:, 1] / self.ky + self.lat0]
        )
