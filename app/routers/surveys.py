from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.deps import SessionDep, Staff
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.common import Id
from app.schemas.surveys import SurveyIn, SurveyOut, SurveySummary
from app.services import surveys

router = APIRouter(prefix="/surveys", tags=["surveys"])


@router.post("", status_code=201, response_model=SurveyOut)
async def create_survey(session: SessionDep, tenant: Staff, body: SurveyIn) -> SurveyOut:
    """A survey with its questions (numbered 1..n in order) and coded options."""
    return await surveys.create_survey(session, tenant, body)


@router.get("", response_model=Page[SurveySummary])
async def list_surveys(
    request: Request,
    session: SessionDep,
    tenant: Staff,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[SurveySummary]:
    rows = await surveys.list_surveys(session, tenant, page)
    return make_page(request, rows, page, key=lambda s: s.id)


@router.get("/{survey_id}", response_model=SurveyOut)
async def get_survey(session: SessionDep, tenant: Staff, survey_id: Id) -> SurveyOut:
    return await surveys.get_survey(session, tenant, survey_id)
