from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from app.deps import SessionDep, Staff
from app.pagination import Page, PageParams, page_params
from app.routers.spatial import (
    FEATURE_COLLECTION_BODY,
    GEOJSON_RESPONSE,
    AsGeoJSON,
    Limits,
    read_features,
    spatial_page,
)
from app.schemas.common import Id
from app.schemas.precincts import (
    PrecinctDetail,
    PrecinctImportOut,
    PrecinctOut,
)
from app.services.geography import precincts

router = APIRouter(prefix="/precincts", tags=["precincts"])


@router.post("/import", response_model=PrecinctImportOut, openapi_extra=FEATURE_COLLECTION_BODY)
async def import_precincts(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    limits: Limits,
    code_property: Annotated[
        str, Query(min_length=1, max_length=100, description="Property holding the code")
    ],
    name_property: Annotated[
        str | None,
        Query(max_length=100, description="Property holding the name (default: the code)"),
    ] = None,
) -> PrecinctImportOut:
    """Upsert precincts by code from a GeoJSON FeatureCollection of (Multi)Polygons.
    Bad features are listed by index in `rejected` (a code or name that is not a string or a
    number, 3D or non-finite coordinates, more than the allowed vertices, a polygon too broken
    to repair...); the others are kept."""
    features = await read_features(await request.body(), limits)
    return await precincts.import_precincts(
        session, tenant, features, code_property, name_property, limits
    )


@router.get(
    "",
    response_model=Page[PrecinctOut],
    responses=GEOJSON_RESPONSE,
)
async def list_precincts(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    as_geojson: AsGeoJSON,
) -> Any:
    """Precincts with their household and person counts; `?format=geojson` (or
    `Accept: application/geo+json`) answers a FeatureCollection with a `next` member."""
    rows = await precincts.list_precincts(session, tenant, page, with_geometry=as_geojson)
    return spatial_page(request, rows, page, as_geojson)


@router.get("/{precinct_id}", response_model=PrecinctDetail)
async def get_precinct(session: SessionDep, tenant: Staff, precinct_id: Id) -> Any:
    return await precincts.get_precinct(session, tenant, precinct_id)
