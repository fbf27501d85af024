"""Paper data entry: walk sheets typed back in, line by line, with the codes printed on them.

A sheet's lines are the list's `line` numbers; its result codes are `RESULT_CODES`; its answers
are option codes by question number. Each entry becomes a person-level contact (source
`paper`, dated the day given or the day the list was built, entered by the typist) through
the same writer as phone results, so it feeds the profiles by the same event-time rule.

A line already entered from paper answers `duplicate`, unless the entry says `replace`: then
the old contact is kept as history, marked superseded by the new one. Entries of one list are
serialised (an advisory lock), so two typists entering the same sheet at once never make two
contacts for a line.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import PayloadTooLarge, validation_errors
from app.models import WalkList
from app.models.contact import RESULT_CODES, RESULTS
from app.schemas.paper_entries import (
    MAX_PAPER_ENTRIES,
    Answer,
    PaperEntriesOut,
    PaperEntry,
    PaperEntryOut,
)
from app.schemas.sync import ResponseIn, SyncItem
from app.services.access.tenancy import Tenant, get_owned
from app.services.canvass import record
from app.services.canvass.record import NewContact, Question

_PAPER_LOCK = 4344  # advisory-lock namespace: paper entry into walk list N


@dataclass
class SheetQuestion:
    id: int
    number: int
    kind: str
    codes: dict[str, int] = field(default_factory=dict)  # upper-case option code -> option id


@dataclass
class Sheet:
    """What entries are checked against: the list's lines and its survey by question number."""

    walk_list: WalkList
    lines: dict[int, tuple[int, int]]  # line -> (person, household)
    questions: dict[str, SheetQuestion]  # "1", "2", ...
    survey: dict[int, Question]  # question id -> kind, profile field, option effects
    entered: dict[int, int]  # person -> their live paper contact on this list


async def _sheet(session: AsyncSession, tenant: Tenant, walk_list: WalkList) -> Sheet:
    params = {"cid": tenant.campaign_id, "id": walk_list.id, "survey": walk_list.survey_id}
    lines = await session.execute(
        text(
            "SELECT line, person_id, household_id FROM walk_list_target"
            " WHERE campaign_id = :cid AND walk_list_id = :id"
        ),
        params,
    )
    options = await session.execute(
        text(
            """SELECT q.id, q.number, q.kind, q.profile_field, o.id AS option_id, o.code, o.effects
               FROM survey_question q
               LEFT JOIN survey_option o ON o.campaign_id = q.campaign_id AND o.question_id = q.id
               WHERE q.campaign_id = :cid AND q.survey_id = :survey"""
        ),
        params,
    )
    questions: dict[str, SheetQuestion] = {}
    survey: dict[int, Question] = {}
    for qid, number, kind, profile_field, option_id, code, effects in options:
        question = questions.setdefault(str(number), SheetQuestion(qid, number, kind))
        described = survey.setdefault(qid, Question(kind, profile_field))
        if option_id is not None:
            question.codes[code.upper()] = option_id
            described.options[option_id] = effects
    entered = await session.execute(
        text(
            "SELECT person_id, id FROM contact WHERE campaign_id = :cid AND walk_list_id = :id"
            " AND source = 'paper' AND superseded_by IS NULL AND person_id IS NOT NULL"
        ),
        params,
    )
    return Sheet(
        walk_list=walk_list,
        lines={line: (person, household) for line, person, household in lines},
        questions=questions,
        survey=survey,
        entered=dict(entered.all()),
    )


def _rejected(line: int | None, errors: list[Any]) -> PaperEntryOut:
    return PaperEntryOut(line=line, status="rejected", errors=errors)


def result_of(code: str) -> str | None:
    """A printed short code ("NH") or the result's own name ("not_home"), any case."""
    return RESULT_CODES.get(code.strip().upper()) or (
        code.strip().lower() if code.strip().lower() in RESULTS else None
    )


def _answer(question: SheetQuestion, value: Answer) -> tuple[ResponseIn | None, str | None]:
    """The response for a typed answer, or why it cannot be one."""
    if question.kind in ("single_choice", "multiple_choice"):
        # Several codes typed in one box: "H T", "H,T", "H;T".
        codes = re.split(r"[\s,;]+", value.strip()) if isinstance(value, str) else value
        if not isinstance(codes, list) or not codes:
            return None, f"question {question.number} takes option codes"
        if question.kind == "single_choice" and len(codes) > 1:
            return None, f"question {question.number} takes one option code"
        unknown = [c for c in codes if str(c).strip().upper() not in question.codes]
        if unknown:
            known = ", ".join(question.codes)
            return None, f"{unknown[0]!r} is not a code of question {question.number} ({known})"
        ids = [question.codes[str(c).strip().upper()] for c in codes]
        return ResponseIn(question_id=question.id, option_ids=list(dict.fromkeys(ids))), None
    if question.kind == "text":
        if not isinstance(value, str) or not value.strip():
            return None, f"question {question.number} takes text"
        return ResponseIn(question_id=question.id, text=value.strip()), None
    try:
        number = float(value) if not isinstance(value, list) else None  # type: ignore[arg-type]
    except ValueError:
        number = None
    if number is None:
        return None, f"question {question.number} takes a number"
    return ResponseIn(question_id=question.id, number=number), None


def _check(entry: PaperEntry, sheet: Sheet, today: date) -> tuple[SyncItem | None, list[Any]]:
    errors: list[dict[str, str]] = []
    target = sheet.lines.get(entry.line)
    if target is None:
        errors.append({"loc": "line", "message": f"line {entry.line} is not on this walk list"})
    result = result_of(entry.result)
    if result is None:
        codes = ", ".join(RESULT_CODES)
        errors.append({"loc": "result", "message": f"unknown result {entry.result!r} ({codes})"})
    list_day = sheet.walk_list.created_at.date()  # type: ignore[union-attr]
    day = entry.knocked_on or list_day
    if day > today:
        errors.append({"loc": "knocked_on", "message": "knocked_on is in the future"})
    elif day < list_day:
        errors.append({"loc": "knocked_on", "message": f"the list was built on {list_day}"})
    responses = []
    for number, value in entry.answers.items():
        question = sheet.questions.get(number.strip())
        if question is None:
            errors.append({"loc": f"answers.{number}", "message": f"no question {number}"})
            continue
        response, problem = _answer(question, value)
        if problem:
            errors.append({"loc": f"answers.{number}", "message": problem})
        elif response:
            responses.append(response)
    if errors or target is None:
        return None, errors
    person, household = target
    item = SyncItem(
        client_id=uuid.uuid4(),
        walk_list_id=sheet.walk_list.id,  # type: ignore[arg-type]
        household_id=household,
        person_id=person,
        result=result,
        responses=responses,
        note=entry.note,
        knocked_at=datetime.combine(day, time(0), UTC),
    )
    return item, []


async def enter(
    session: AsyncSession,
    tenant: Tenant,
    walk_list: WalkList,
    raw_entries: list[Any],
    replace: bool = False,
) -> list[PaperEntryOut]:
    """Check and record the entries of one list; one answer per entry, in order."""
    if len(raw_entries) > MAX_PAPER_ENTRIES:
        raise PayloadTooLarge(f"at most {MAX_PAPER_ENTRIES} entries per request")
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, CAST(:id AS int))"),
        {"ns": _PAPER_LOCK, "id": walk_list.id},
    )
    sheet = await _sheet(session, tenant, walk_list)
    today = datetime.now(UTC).date()
    outs: list[PaperEntryOut | None] = [None] * len(raw_entries)
    new: list[tuple[int, int, NewContact, int | None]] = []  # index, line, contact, replaced
    seen: set[int] = set()
    for index, raw in enumerate(raw_entries):
        try:
            entry = PaperEntry.model_validate(raw)
        except ValidationError as exc:
            line = raw.get("line") if isinstance(raw, dict) else None
            errors = [e | {"loc": e["loc"] or "entry"} for e in validation_errors(exc.errors())]
            outs[index] = _rejected(line if isinstance(line, int) else None, errors)
            continue
        item, errors = _check(entry, sheet, today)
        if item is None:
            outs[index] = _rejected(entry.line, errors)
            continue
        if entry.line in seen:
            message = f"line {entry.line} is entered twice in this request"
            outs[index] = _rejected(entry.line, [{"loc": "line", "message": message}])
            continue
        seen.add(entry.line)
        earlier = sheet.entered.get(item.person_id)  # type: ignore[arg-type]
        if earlier is not None and not (replace if entry.replace is None else entry.replace):
            outs[index] = PaperEntryOut(line=entry.line, status="duplicate", contact_id=earlier)
            continue
        person = [item.person_id] if item.person_id else []
        new.append((index, entry.line, NewContact(item, person, sheet.survey), earlier))

    created = await record.record(
        session, tenant, [c for _, _, c, _ in new], source="paper", entered_by=tenant.user_id
    )
    superseded: list[tuple[int, int]] = []
    for index, line, contact, earlier in new:
        contact_id = created[contact.item.client_id]
        status = "created" if earlier is None else "replaced"
        outs[index] = PaperEntryOut(line=line, status=status, contact_id=contact_id)
        if earlier is not None:
            superseded.append((earlier, contact_id))
    if superseded:
        await session.execute(
            text(
                """UPDATE contact c SET superseded_by = x.new, superseded_at = now()
                   FROM unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS x(old, new)
                   WHERE c.campaign_id = :cid AND c.id = x.old"""
            ),
            {
                "cid": tenant.campaign_id,
                "old": [o for o, _ in superseded],
                "new": [n for _, n in superseded],
            },
        )
    return [o for o in outs if o is not None]


async def enter_for_list(
    session: AsyncSession, tenant: Tenant, list_id: int, raw_entries: list[Any], replace: bool
) -> PaperEntriesOut:
    walk_list = await get_owned(session, tenant, WalkList, list_id)
    return PaperEntriesOut(results=await enter(session, tenant, walk_list, raw_entries, replace))
