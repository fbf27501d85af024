"""Survey answers as canvassing records them: the questions of a list's survey, loaded once per
request, and the one place where an answer is checked against its question's kind.

Phones send structured answers (`option_ids`, `text` or `number`); paper sheets send what was
typed into a box (option codes such as "H T", a word, a number). Both become an `Answer`, and
both are judged by the same rules here, so a sheet and a phone can never disagree on what a
valid answer to a question is.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.survey import QuestionKind
from app.services.access.tenancy import Tenant
from app.services.canvass import queries

CHOICE_KINDS = (QuestionKind.single_choice, QuestionKind.multiple_choice)


@dataclass
class Question:
    """A survey question as answers are checked and applied against it."""

    id: int
    number: int
    kind: QuestionKind
    profile_field: str | None
    effects: dict[int, dict[str, Any]] = field(default_factory=dict)  # option id -> effects
    codes: dict[str, int] = field(default_factory=dict)  # upper-case option code -> option id


@dataclass(frozen=True)
class Answer:
    """One question's answer: option ids for a choice, text or a number otherwise."""

    question_id: int
    option_ids: list[int] | None = None
    text: str | None = None
    number: float | None = None

    def profile_value(self, question: Question) -> str | float | None:
        """What a text or number question writes into its profile field."""
        return self.text if question.kind == QuestionKind.text else self.number


async def load_questions(
    session: AsyncSession, tenant: Tenant, survey_ids: set[int]
) -> dict[int, dict[int, Question]]:
    """The questions of these surveys, by survey id, then by question id."""
    rows = await session.execute(
        text(queries.QUESTIONS), {"cid": tenant.campaign_id, "surveys": sorted(survey_ids)}
    )
    surveys: dict[int, dict[int, Question]] = {}
    for survey_id, qid, number, kind, profile_field, option_id, code, effects in rows:
        questions = surveys.setdefault(survey_id, {})
        question = questions.setdefault(
            qid, Question(qid, number, QuestionKind(kind), profile_field)
        )
        if option_id is not None:
            question.effects[option_id] = effects or {}
            question.codes[code.upper()] = option_id
    return surveys


def answer_problem(question: Question, answer: Answer) -> tuple[str, str] | None:
    """Why this answer does not fit its question, as (field, message); None when it fits."""
    kind = question.kind
    if kind in CHOICE_KINDS:
        if not answer.option_ids or answer.text is not None or answer.number is not None:
            return "option_ids", f"a {kind.value} answer is option_ids"
        if kind == QuestionKind.single_choice and len(answer.option_ids) > 1:
            return "option_ids", "a single_choice answer has one option"
        wrong = [o for o in answer.option_ids if o not in question.effects]
        if wrong:
            return "option_ids", f"options {wrong} are not of this question"
        return None
    if answer.option_ids:
        return "option_ids", f"a {kind.value} question has no options"
    if kind == QuestionKind.text and (answer.text is None or answer.number is not None):
        return "text", "a text answer is text"
    if kind == QuestionKind.number:
        if answer.number is None or answer.text is not None:
            return "number", "a number answer is number"
        if not math.isfinite(answer.number):
            return "number", "a number answer is a finite number"
    return None


def answer_from_sheet(question: Question, typed: str | float | list[str]) -> Answer | str:
    """The answer typed into a sheet's box for this question, or why it cannot be one.

    Choices are option codes, several in one box as "H T", "H,T" or "H;T" (or a list)."""
    n = question.number
    if question.kind in CHOICE_KINDS:
        codes = re.split(r"[\s,;]+", typed.strip()) if isinstance(typed, str) else typed
        if not isinstance(codes, list) or not codes:
            return f"question {n} takes option codes"
        if question.kind == QuestionKind.single_choice and len(codes) > 1:
            return f"question {n} takes one option code"
        keys = [str(c).strip().upper() for c in codes]
        unknown = [c for c, key in zip(codes, keys, strict=True) if key not in question.codes]
        if unknown:
            known = ", ".join(question.codes)
            return f"{unknown[0]!r} is not a code of question {n} ({known})"
        return Answer(question.id, option_ids=list(dict.fromkeys(question.codes[k] for k in keys)))
    if question.kind == QuestionKind.text:
        if not isinstance(typed, str) or not typed.strip():
            return f"question {n} takes text"
        return Answer(question.id, text=typed.strip())
    number: float | None = None
    if not isinstance(typed, list):
        try:
            number = float(typed)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        return f"question {n} takes a number"
    return Answer(question.id, number=number)
