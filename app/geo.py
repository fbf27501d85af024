"""The only place that converts GeoJSON <-> shapely <-> PostGIS.

GeoJSON at the API edge is RFC 7946 (WGS84 lon/lat). Geometry goes into PostGIS as WKB with
SRID 4326 and comes out through ST_AsGeoJSON, so the database does the serialising.
"""

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import numpy as np
import shapely
from geojson_pydantic import MultiPolygon as GeoJSONMultiPolygon
from geojson_pydantic import Polygon as GeoJSONPolygon
from pydantic import Field, TypeAdapter, ValidationError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, func

from app.errors import validation_errors

SRID = 4326
GEOJSON = "application/geo+json"
COORD_DECIMALS = 7  # ~1 cm; more digits are noise
EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)

_areal = TypeAdapter(Annotated[GeoJSONPolygon | GeoJSONMultiPolygon, Field(discriminator="type")])


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


def areal_from_geojson(geometry: Any, repair: bool = True) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon -> a valid shapely MultiPolygon.

    With `repair`, invalid rings (self-intersections, bow-ties) are repaired with make_valid as
    long as the repaired shape still has area (imported official boundaries are often slightly
    broken); what collapses to lines or points is refused with a reason. Without it, an invalid
    polygon is refused with the reason (a drawn turf: the user should redraw it).
    """
    if not isinstance(geometry, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"geometry type {kind!r} is not allowed; use Polygon or MultiPolygon")
    try:
        _areal.validate_python(geometry)
    except ValidationError as exc:
        first = validation_errors(exc.errors())[0]
        raise GeometryError(f"invalid {kind}: {first['message']} at {first['loc']}") from None
    geom = shape(geometry)
    coords = shapely.get_coordinates(geom)
    check_lon_lat(coords[:, 0], coords[:, 1])
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            raise GeometryError(f"invalid polygon: {reason}")
        geom = shapely.make_valid(geom)
        polygons = [
            g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")
        ]
        geom = shapely.union_all(polygons) if polygons else shapely.Polygon()
        if geom.is_empty or geom.area == 0:
            raise GeometryError(f"invalid polygon that cannot be repaired: {reason}")
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
