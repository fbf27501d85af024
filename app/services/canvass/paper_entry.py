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

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import PayloadTooLarge, validation_errors
from app.models import WalkList
from app.models.base import flushed_id
from app.models.contact import RESULT_CODES, RESULTS
from app.schemas.paper_entries import (
    MAX_PAPER_ENTRIES,
    PaperEntriesOut,
    PaperEntry,
    PaperEntryOut,
)
from app.schemas.sync import ItemError
from app.services.access.tenancy import Tenant, get_owned
from app.services.canvass import queries, record
from app.services.canvass.answers import Answer, Question, answer_from_sheet, load_questions
from app.services.canvass.record import ERASED, ContactDraft, Recorder
from app.services.privacy import audit

_PAPER_LOCK = 4344  # advisory-lock namespace: paper entry into walk list N


@dataclass
class Sheet:
    """What entries are checked against: the list's lines and its survey."""

    walk_list: WalkList
    lines: dict[int, tuple[int, int]]  # line -> (person, household)
    questions: dict[int, Question]  # question id -> question
    numbered: dict[str, Question]  # "1", "2", ... -> question
    entered: dict[int, int]  # person -> their live paper contact on this list
    erased: set[int]  # the lines of people erased on request since: refused


async def _sheet(session: AsyncSession, tenant: Tenant, walk_list: WalkList) -> Sheet:
    params = {"cid": tenant.campaign_id, "id": walk_list.id}
    lines = (await session.execute(text(queries.SHEET_LINES), params)).all()
    questions = (await load_questions(session, tenant, {walk_list.survey_id})).get(
        walk_list.survey_id, {}
    )
    entered = await session.execute(
        text(
            "SELECT person_id, id FROM contact WHERE campaign_id = :cid AND walk_list_id = :id"
            " AND source = 'paper' AND superseded_by IS NULL AND person_id IS NOT NULL"
        ),
        params,
    )
    return Sheet(
        walk_list=walk_list,
        lines={line: (person, household) for line, person, household, _ in lines},
        erased={line for line, _, _, erased in lines if erased},
        questions=questions,
        numbered={str(q.number): q for q in questions.values()},
        entered={person: contact for person, contact in entered},
    )


def _rejected(line: int | None, errors: list[ItemError]) -> PaperEntryOut:
    return PaperEntryOut(line=line, status="rejected", errors=errors)


def result_of(code: str) -> str | None:
    """A printed short code ("NH") or the result's own name ("not_home"), any case."""
    return RESULT_CODES.get(code.strip().upper()) or (
        code.strip().lower() if code.strip().lower() in RESULTS else None
    )


def _check(entry: PaperEntry, sheet: Sheet, today: date) -> ContactDraft | list[ItemError]:
    """The contact an entry records, or what is wrong with it."""
    errors: list[ItemError] = []
    target = sheet.lines.get(entry.line)
    if target is None:
        errors.append(ItemError(loc="line", message=f"line {entry.line} is not on this walk list"))
    elif entry.line in sheet.erased:
        errors.append(ItemError(loc="line", message=ERASED))
    result = result_of(entry.result)
    if result is None:
        codes = ", ".join(RESULT_CODES)
        errors.append(ItemError(loc="result", message=f"unknown result {entry.result!r} ({codes})"))
    assert sheet.walk_list.created_at is not None  # loaded from the database
    list_day = sheet.walk_list.created_at.date()
    day = entry.knocked_on or list_day
    if day > today:
        errors.append(ItemError(loc="knocked_on", message="knocked_on is in the future"))
    elif day < list_day:
        errors.append(ItemError(loc="knocked_on", message=f"the list was built on {list_day}"))
    answers: list[Answer] = []
    for number, typed in entry.answers.items():
        question = sheet.numbered.get(number.strip())
        answer = answer_from_sheet(question, typed) if question else f"no question {number}"
        if isinstance(answer, str):
            errors.append(ItemError(loc=f"answers.{number}", message=answer))
        else:
            answers.append(answer)
    if errors or target is None or result is None:
        return errors
    person, household = target
    return ContactDraft(
        client_id=None,
        walk_list_id=flushed_id(sheet.walk_list),
        household_id=household,
        person_id=person,
        result=result,
        answers=answers,
        note=entry.note,
        knocked_at=datetime.combine(day, time(0), UTC),
        people=[person],
        questions=sheet.questions,
    )


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
    new: list[tuple[int, int, ContactDraft, int | None]] = []  # index, line, draft, replaced
    seen: set[int] = set()
    for index, raw in enumerate(raw_entries):
        try:
            entry = PaperEntry.model_validate(raw)
        except ValidationError as exc:
            line = raw.get("line") if isinstance(raw, dict) else None
            errors = [
                ItemError(loc=e["loc"] or "entry", message=e["message"])
                for e in validation_errors(exc.errors())
            ]
            outs[index] = _rejected(line if isinstance(line, int) else None, errors)
            continue
        draft = _check(entry, sheet, today)
        if isinstance(draft, list):
            outs[index] = _rejected(entry.line, draft)
            continue
        if entry.line in seen:
            message = f"line {entry.line} is entered twice in this request"
            outs[index] = _rejected(entry.line, [ItemError(loc="line", message=message)])
            continue
        seen.add(entry.line)
        earlier = sheet.entered.get(draft.people[0])
        if earlier is not None and not (replace if entry.replace is None else entry.replace):
            outs[index] = PaperEntryOut(line=entry.line, status="duplicate", contact_id=earlier)
            continue
        new.append((index, entry.line, draft, earlier))

    by = Recorder("paper", entered_by=tenant.user_id)
    created = await record.record(session, tenant, [d for _, _, d, _ in new], by)
    superseded: list[tuple[int, int]] = []
    for (index, line, _, earlier), contact_id in zip(new, created, strict=True):
        assert contact_id is not None  # a paper contact's client_id is new by construction
        status: Literal["created", "replaced"] = "created" if earlier is None else "replaced"
        outs[index] = PaperEntryOut(line=line, status=status, contact_id=contact_id)
        if earlier is not None:
            superseded.append((earlier, contact_id))
    if superseded:
        await session.execute(
            text(queries.SUPERSEDE),
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
    """Enter sheet lines for the campaign's list `list_id` (see `enter`)."""
    walk_list = await get_owned(session, tenant, WalkList, list_id)
    results = await enter(session, tenant, walk_list, raw_entries, replace)
    counts = {str(status): n for status, n in Counter(r.status for r in results).items()}
    await audit.record(session, tenant, "paper.batch", "walk_list", [list_id], counts)
    return PaperEntriesOut(results=results)
