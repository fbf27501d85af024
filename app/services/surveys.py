"""Surveys: created whole (questions numbered 1..n in order), read whole."""

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Survey, SurveyOption, SurveyQuestion
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
            survey_id=survey.id,  # type: ignore[arg-type]
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
            question_id=question.id,  # type: ignore[arg-type]
            position=position,
            code=o.code,
            label=o.label,
            effects=o.effects.model_dump() if o.effects else {},
        )
        for question, q in zip(questions, data.questions, strict=True)
        for position, o in enumerate(q.options)
    )
    await session.flush()
    return await get_survey(session, tenant, survey.id)  # type: ignore[arg-type]


async def get_survey(session: AsyncSession, tenant: Tenant, survey_id: int) -> SurveyOut:
    """One survey, whole: questions in order, options in order."""
    survey = await get_owned(session, tenant, Survey, survey_id)
    questions = (
        (
            await session.execute(
                tenant_select(tenant, SurveyQuestion)
                .where(SurveyQuestion.survey_id == survey_id)
                .order_by(SurveyQuestion.number)
            )
        )
        .scalars()
        .all()
    )
    options = (
        (
            await session.execute(
                tenant_select(tenant, SurveyOption)
                .where(SurveyOption.question_id.in_([q.id for q in questions]))  # type: ignore[attr-defined]
                .order_by(SurveyOption.question_id, SurveyOption.position)
            )
        )
        .scalars()
        .all()
    )
    by_question: dict[int, list[OptionOut]] = {}
    for o in options:
        by_question.setdefault(o.question_id, []).append(
            OptionOut(id=o.id, code=o.code, label=o.label, effects=o.effects)  # type: ignore[arg-type]
        )
    return SurveyOut(
        id=survey.id,  # type: ignore[arg-type]
        name=survey.name,
        created_at=survey.created_at,
        questions=[
            QuestionOut(
                id=q.id,  # type: ignore[arg-type]
                number=q.number,
                prompt=q.prompt,
                kind=q.kind,  # type: ignore[arg-type]
                profile_field=q.profile_field,
                options=by_question.get(q.id, []),  # type: ignore[arg-type]
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
        .where(SurveyQuestion.survey_id == Survey.id)
        .scalar_subquery()
    )
    stmt = (
        tenant_select(tenant, Survey, Survey.id, Survey.name, Survey.created_at, count.label("n"))
        .order_by(Survey.id)
        .limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(Survey.id > page.after_id)  # type: ignore[operator]
    rows = (await session.execute(stmt)).all()
    return [
        SurveySummary(id=r.id, name=r.name, created_at=r.created_at, question_count=r.n)
        for r in rows
    ]
