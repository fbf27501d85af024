from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.deps import SessionDep, Staff
from app.geo import GEOJSON, page_features, wants_geojson
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.precincts import (
    FeatureCollectionIn,
    PrecinctDetail,
    PrecinctImportOut,
    PrecinctOut,
)
from app.services import precincts

router = APIRouter(prefix="/precincts", tags=["precincts"])


@router.post("/import", response_model=PrecinctImportOut)
async def import_precincts(
    session: SessionDep,
    tenant: Staff,
    body: FeatureCollectionIn,
    code_property: Annotated[str, Query(min_length=1, description="Property holding the code")],
    name_property: Annotated[
        str | None, Query(description="Property holding the name (default: the code)")
    ] = None,
) -> PrecinctImportOut:
    """Upsert precincts by code from a GeoJSON FeatureCollection of (Multi)Polygons.
    Bad features are listed by index in `rejected`; the others are kept."""
    return await precincts.import_precincts(
        session, tenant, body.features, code_property, name_property
    )


@router.get(
    "",
    response_model=Page[PrecinctOut],
    responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}},
)
async def list_precincts(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    format: Annotated[Literal["json", "geojson"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Precincts with their household and person counts; `?format=geojson` (or
    `Accept: application/geo+json`) answers a FeatureCollection with a `next` member."""
    as_geojson = wants_geojson(format, accept)
    rows = await precincts.list_precincts(session, tenant, page, with_geometry=as_geojson)
    result = make_page(request, rows, page, key=lambda r: r["id"])
    if not as_geojson:
        return result
    body = jsonable_encoder(page_features(result.results, result.next))
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/{precinct_id}", response_model=PrecinctDetail)
async def get_precinct(session: SessionDep, tenant: Staff, precinct_id: int) -> Any:
    return await precincts.get_precinct(session, tenant, precinct_id)
