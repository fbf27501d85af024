from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from app.deps import SessionDep, Staff
from app.pagination import Page, PageParams, page_params
from app.routers.spatial import (
    GEOJSON_RESPONSE,
    AsGeoJSON,
    Limits,
    spatial_page,
    stopped_on_disconnect,
)
from app.schemas.common import Id
from app.schemas.turfs import TurfCutIn, TurfCutOut, TurfDetail, TurfIn, TurfOut
from app.services.geography import turfs
from app.services.turf_cut import service as turf_cutting
from app.services.turf_cut.budget import CutBudget

router = APIRouter(prefix="/turfs", tags=["turfs"])


@router.post("", status_code=201, response_model=TurfDetail)
async def create_turf(session: SessionDep, tenant: Staff, body: TurfIn, limits: Limits) -> Any:
    """A turf from `precinct_ids` (their union) or a drawn `geometry`."""
    return await turfs.create_turf(session, tenant, body, limits)


@router.post(
    "/cut",
    status_code=201,
    response_model=TurfCutOut,
    responses={200: {"description": "A preview (`save: false`): nothing was written"}},
)
async def cut_turfs(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    body: TurfCutIn,
    response: Response,
    limits: Limits,
) -> TurfCutOut:
    """Cut an area (precincts, a drawn polygon or a turf) into `turf_count` turfs, or turfs of
    about `doors_per_turf` doors: balanced by door count, compact, one piece each, covering the
    area without overlap. Saved turfs (201) are ordinary turfs; `save: false` previews (200)."""
    budget = CutBudget(seconds=request.app.state.hardening.turf_cut_seconds)
    async with stopped_on_disconnect(request, budget):
        result = await turf_cutting.cut(session, tenant, body, limits, budget)
    if not body.save:
        response.status_code = 200
    return result


@router.get(
    "",
    response_model=Page[TurfOut],
    responses=GEOJSON_RESPONSE,
)
async def list_turfs(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    as_geojson: AsGeoJSON,
) -> Any:
    """Turfs with their household and person counts; `?format=geojson` for a FeatureCollection."""
    rows = await turfs.list_turfs(session, tenant, page, with_geometry=as_geojson)
    return spatial_page(request, rows, page, as_geojson)


@router.get("/{turf_id}", response_model=TurfDetail)
async def get_turf(session: SessionDep, tenant: Staff, turf_id: Id) -> Any:
    return await turfs.get_turf(session, tenant, turf_id)


@router.delete("/{turf_id}", status_code=204, response_class=Response)
async def delete_turf(session: SessionDep, tenant: Staff, turf_id: Id) -> Response:
    await turfs.delete_turf(session, tenant, turf_id)
    return Response(status_code=204)
