"""What the spatial collections (precincts, turfs) share: JSON pages or GeoJSON pages."""

from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.geo import GEOJSON, page_features, wants_geojson
from app.pagination import Page, PageParams, make_page

GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}
}


def _as_geojson(
    format: Annotated[Literal["json", "geojson"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> bool:
    return wants_geojson(format, accept)


AsGeoJSON = Annotated[bool, Depends(_as_geojson)]


def spatial_page(
    request: Request, rows: list[dict[str, Any]], page: PageParams, as_geojson: bool
) -> Page[Any] | JSONResponse:
    """A `{results, next}` page, or a FeatureCollection with a `next` member."""
    result = make_page(request, rows, page, key=lambda r: r["id"])
    if not as_geojson:
        return result
    body = jsonable_encoder(page_features(result.results, result.next))
    return JSONResponse(body, media_type=GEOJSON)
