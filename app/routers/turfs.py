from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.deps import SessionDep, Staff
from app.geo import GEOJSON, page_features, wants_geojson
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.turfs import TurfDetail, TurfIn, TurfOut
from app.services import turfs

router = APIRouter(prefix="/turfs", tags=["turfs"])


@router.post("", status_code=201, response_model=TurfDetail)
async def create_turf(session: SessionDep, tenant: Staff, body: TurfIn) -> Any:
    """A turf from `precinct_ids` (their union) or a drawn `geometry`."""
    return await turfs.create_turf(session, tenant, body)


@router.get(
    "",
    response_model=Page[TurfOut],
    responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}},
)
async def list_turfs(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    format: Annotated[Literal["json", "geojson"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Turfs with their household and person counts; `?format=geojson` for a FeatureCollection."""
    as_geojson = wants_geojson(format, accept)
    rows = await turfs.list_turfs(session, tenant, page, with_geometry=as_geojson)
    result = make_page(request, rows, page, key=lambda r: r["id"])
    if not as_geojson:
        return result
    body = jsonable_encoder(page_features(result.results, result.next))
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/{turf_id}", response_model=TurfDetail)
async def get_turf(session: SessionDep, tenant: Staff, turf_id: int) -> Any:
    return await turfs.get_turf(session, tenant, turf_id)


@router.delete("/{turf_id}", status_code=204, response_class=Response)
async def delete_turf(session: SessionDep, tenant: Staff, turf_id: int) -> Response:
    await turfs.delete_turf(session, tenant, turf_id)
    return Response(status_code=204)
