from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from app.deps import SessionDep, Staff
from app.pagination import Page, PageParams, page_params
from app.routers.spatial import GEOJSON_RESPONSE, AsGeoJSON, spatial_page
from app.schemas.precincts import (
    FeatureCollectionIn,
    PrecinctDetail,
    PrecinctImportOut,
    PrecinctOut,
)
from app.services.geography import precincts

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
async def get_precinct(session: SessionDep, tenant: Staff, precinct_id: int) -> Any:
    return await precincts.get_precinct(session, tenant, precinct_id)
