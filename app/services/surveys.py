"""Surveys: created whole (questions numbered 1..n in order), read whole."""

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Survey, SurveyOption, SurveyQuestion
from app.models.base import flushed_id
from app.models.survey import QuestionKind
from app.pagination import PageParams
from app.schemas.surveys import OptionOut, QuestionOut, SurveyIn, SurveyOut, SurveySummary
from app.services.access.tenancy import Tenant, get_owned, tenant_select


async def create_survey(session: AsyncSession, tenant: Tenant, data: SurveyIn) -> SurveyOut:
    """A survey with its questions numbered 1..n in order, and their coded options."""
    survey = Survey(campaign_id=tenant.campaign_id, name=data.name)
    session.add(survey)
    await session.flush()
    questions = [
        SurveyQuestion(
            campaign_id=tenant.campaign_id,
            survey_id=flushed_id(survey),
            number=number,
            prompt=q.prompt,
            kind=q.kind.value,
            profile_field=q.profile_field,
        )
        for number, q in enumerate(data.questions, start=1)
    ]
    session.add_all(questions)
    await session.flush()
    session.add_all(
        SurveyOption(
            campaign_id=tenant.campaign_id,
            question_id=flushed_id(question),
            position=position,
            code=o.code,
            label=o.label,
            effects=o.effects.model_dump() if o.effects else {},
        )
        for question, q in zip(questions, data.questions, strict=True)
        for position, o in enumerate(q.options)
    )
    await session.flush()
    return await get_survey(session, tenant, flushed_id(survey))


async def get_survey(session: AsyncSession, tenant: Tenant, survey_id: int) -> SurveyOut:
    """One survey, whole: questions in order, options in order."""
    survey = await get_owned(session, tenant, Survey, survey_id)
    questions = (
        (
            await session.execute(
                tenant_select(tenant, SurveyQuestion)
                .where(col(SurveyQuestion.survey_id) == survey_id)
                .order_by(col(SurveyQuestion.number))
            )
        )
        .scalars()
        .all()
    )
    options = (
        (
            await session.execute(
                tenant_select(tenant, SurveyOption)
                .where(col(SurveyOption.question_id).in_([q.id for q in questions]))
                .order_by(col(SurveyOption.question_id), col(SurveyOption.position))
            )
        )
        .scalars()
        .all()
    )
    by_question: dict[int, list[OptionOut]] = {}
    for o in options:
        by_question.setdefault(o.question_id, []).append(
            OptionOut(id=flushed_id(o), code=o.code, label=o.label, effects=o.effects)
        )
    return SurveyOut(
        id=flushed_id(survey),
        name=survey.name,
        created_at=survey.created_at,
        questions=[
            QuestionOut(
                id=flushed_id(q),
                number=q.number,
                prompt=q.prompt,
                kind=QuestionKind(q.kind),
                profile_field=q.profile_field,
                options=by_question.get(flushed_id(q), []),
            )
            for q in questions
        ],
    )


async def list_surveys(
    session: AsyncSession, tenant: Tenant, page: PageParams
) -> list[SurveySummary]:
    """A page of surveys with their question counts, by id."""
    count = (
        tenant_select(tenant, SurveyQuestion, func.count())
        .where(col(SurveyQuestion.survey_id) == col(Survey.id))
        .scalar_subquery()
    )
    stmt = (
        tenant_select(
            tenant,
            Survey,
            col(Survey.id),
            col(Survey.name),
            col(Survey.created_at),
            count.label("n"),
        )
        .order_by(col(Survey.id))
        .limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(col(Survey.id) > page.after_id)
    rows = (await session.execute(stmt)).all()
    return [
        SurveySummary(id=r.id, name=r.name, created_at=r.created_at, question_count=r.n)
        for r in rows
    ]
