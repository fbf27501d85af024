"""What the spatial collections (precincts, turfs) share: JSON pages or GeoJSON pages, the
geometry limits, and reading a large FeatureCollection without freezing the server."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.geo import GEOJSON, GeometryLimits, GeometryTooComplex, page_features, wants_geojson
from app.jsonscan import feature_slices
from app.pagination import Page, PageParams, make_page
from app.schemas.precincts import FeatureCollectionIn

# A parse of more than this many bytes is followed by a turn of the event loop.
_YIELD_AFTER = 64 * 1024

GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}
}


def _as_geojson(
    format: Annotated[Literal["json", "geojson"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> bool:
    return wants_geojson(format, accept)


AsGeoJSON = Annotated[bool, Depends(_as_geojson)]


def _geometry_limits(request: Request) -> GeometryLimits:
    limits: GeometryLimits = request.app.state.hardening.geometry_limits
    return limits


# How large and how broken a polygon the server takes (`Hardening`).
Limits = Annotated[GeometryLimits, Depends(_geometry_limits)]

# The request body of an endpoint that reads its FeatureCollection itself (`read_features`).
FEATURE_COLLECTION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                # its $defs move to the components (`app.openapi`), where the refs point
                "schema": FeatureCollectionIn.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            }
        },
    }
}


def _parse(text: bytes) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error"}
        raise RequestValidationError([error]) from None
    except (RecursionError, UnicodeDecodeError):
        error = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError([error]) from None


async def read_features(body: bytes, limits: GeometryLimits) -> list[Any]:
    """The features of a FeatureCollection body, each parsed on its own with a turn of the
    event loop between large ones; a feature with more positions than the limit is never
    parsed (it stands as a GeometryTooComplex, for the import to reject by its index).

    Parsing JSON holds the GIL, so a whole multi-MB file parsed at once (as FastAPI parses
    bodies) would stall every other request meanwhile. A body that is not laid out as an
    object with a "features" array is parsed whole, for the usual 400/422 answers."""
    sliced = await asyncio.to_thread(feature_slices, body)
    if sliced is None:
        envelope, raw_features = _parse(body), None
    else:
        envelope, raw_features = _parse(sliced.envelope), sliced
    try:
        collection = FeatureCollectionIn.model_validate(envelope)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None
    if raw_features is None:
        return collection.features
    features: list[Any] = []
    for text, positions in zip(raw_features.features, raw_features.positions, strict=True):
        if positions > limits.max_vertices:
            features.append(
                GeometryTooComplex(
                    f"{positions} vertices; at most {limits.max_vertices} per geometry "
                    "(simplify it)"
                )
            )
            continue
        features.append(_parse(text))
        if len(text) > _YIELD_AFTER:
            await asyncio.sleep(0)
    return features


def spatial_page(
    request: Request, rows: list[dict[str, Any]], page: PageParams, as_geojson: bool
) -> Page[Any] | JSONResponse:
    """A `{results, next}` page, or a FeatureCollection with a `next` member."""
    result = make_page(request, rows, page, key=lambda r: r["id"])
    if not as_geojson:
        return result
    body = jsonable_encoder(page_features(result.results, result.next))
    return JSONResponse(body, media_type=GEOJSON)


class Stoppable(Protocol):
    def cancel(self) -> None: ...


@contextlib.asynccontextmanager
async def stopped_on_disconnect(request: Request, work: Stoppable) -> AsyncIterator[None]:
    """Within the block, `work.cancel()` is called as soon as the client has gone (a closed
    tab, a dropped connection). CPU work in a worker thread (a turf cut) is not stopped by
    the request's cancellation (the server does not cancel a request whose client left), so
    it would otherwise run to its end for nobody. Once the body has been read, the next
    message the server gives the request is its client's disconnection."""

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        work.cancel()

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()
