"""Bulk upload of paper results: a CSV of walk-sheet lines, run as an import job.

Columns: `list_number`, `line`, `result` (required), `q1`..`qN` (answers by question number),
`note`, `date` (YYYY-MM-DD or M/D/YYYY). Each row goes through exactly the rules of paper entry
(`paper_entry.enter`), list by list; problems are reported by CSV line and column, and good
rows are recorded whatever the bad ones say. Sheets are small (hundreds of rows), so the csv
module reads them; the work is in the per-list set-based recording.
"""

import codecs
import csv
import re
from collections import defaultdict
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import WalkList
from app.models.base import flushed_id
from app.schemas.common import clean_text, text_problem
from app.services.access.tenancy import Tenant, tenant_select
from app.services.canvass import paper_entry
from app.services.import_outcome import ImportOutcome, ImportProgress, ProgressCallback
from app.services.privacy import audit
from app.services.voter_file.csv_reader import CsvFileError

REQUIRED = ("list_number", "line", "result")
OPTIONAL = ("note", "date")
QUESTION = re.compile(r"^q(\d{1,3})$")
US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MAX_ROWS = 100_000
MAX_LIST_NUMBER = 32


def _column(loc: str) -> str | None:
    """Where a paper-entry error points, as the CSV column it came from."""
    if loc.startswith("answers."):
        return "q" + loc.removeprefix("answers.")
    return {"line": "line", "result": "result", "knocked_on": "date", "note": "note"}.get(loc)


def _header(names: list[str]) -> list[str]:
    header = [n.strip().lower().replace(" ", "_") for n in names]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvFileError(f"line 1: missing column(s) {', '.join(missing)}")
    unknown = [n for n in header if n not in REQUIRED + OPTIONAL and not QUESTION.match(n)]
    if unknown:
        raise CsvFileError(f"line 1: unknown column(s) {', '.join(unknown)}; use q1..qN")
    if len(set(header)) != len(header):
        raise CsvFileError("line 1: a column appears twice in the header")
    return header


def _entry(row: dict[str, str]) -> dict[str, Any]:
    """The paper entry a row stands for (validated later, with the list's sheet)."""
    line = row["line"].strip()
    day = (row.get("date") or "").strip()
    if m := US_DATE.match(day):
        day = f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}"
    answers = {
        name[1:]: value.strip()
        for name, value in row.items()
        if QUESTION.match(name) and value.strip()
    }
    entry: dict[str, Any] = {
        "line": int(line) if line.isdigit() else line,
        "result": row["result"],
        "answers": answers,
    }
    if (row.get("note") or "").strip():
        entry["note"] = row["note"].strip()
    if day:
        entry["knocked_on"] = day
    return entry


async def import_canvass_results(
    session: AsyncSession,
    tenant: Tenant,
    stream: IO[bytes],
    progress: ProgressCallback | None = None,
) -> ImportOutcome:
    """Record the rows of a results CSV by the rules of paper entry, list by list. Raises
    CsvFileError when the file as a whole is unusable; otherwise every good row is recorded.
    `progress` hears of the rows recorded, list by list (the job's progress while it runs)."""
    reader = csv.reader(codecs.getreader("utf-8-sig")(stream, "strict"))
    result = ImportOutcome()
    try:
        first = next(reader, None)
        if first is None:
            raise CsvFileError("the file is empty")
        header = _header(first)
        by_list: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        for cells in reader:
            result.rows_read += 1
            line_no = reader.line_num
            if result.rows_read > MAX_ROWS:
                raise CsvFileError(f"more than {MAX_ROWS} rows; split the file")
            if not any(c.strip() for c in cells):
                result.rows_read -= 1
                continue
            if len(cells) != len(header):
                result.reject(line_no, None, f"{len(cells)} fields, the header has {len(header)}")
                continue
            row = dict(zip(header, cells, strict=True))
            by_list[row["list_number"].strip()].append((line_no, _entry(row)))
    except UnicodeDecodeError as exc:
        message = f"line {reader.line_num + 1}: the file is not UTF-8 ({exc.reason})"
        raise CsvFileError(message) from None
    except csv.Error as exc:
        raise CsvFileError(f"line {reader.line_num}: {exc}") from None

    # a list number the database could not even compare (a NUL in it) names no list
    numbers = [n for n in by_list if text_problem(n) is None and len(n) <= MAX_LIST_NUMBER]
    lists = {
        w.number: w
        for w in (
            await session.execute(
                tenant_select(tenant, WalkList).where(col(WalkList.number).in_(numbers))
            )
        ).scalars()
    }
    done, total = 0, sum(len(rows) for rows in by_list.values())
    for number, rows in by_list.items():
        if progress is not None:
            progress(ImportProgress("writing", done, rows_total=total))
        done += len(rows)
        walk_list = lists.get(number)
        if walk_list is None:
            for line_no, _ in rows:
                result.reject(line_no, "list_number", f"no walk list {clean_text(number)!r}")
            continue
        outs = await paper_entry.enter(session, tenant, walk_list, [e for _, e in rows])
        for (line_no, _), out in zip(rows, outs, strict=True):
            if out.status == "created":
                result.created += 1
            elif out.status == "duplicate":
                result.duplicates += 1
                result.note(line_no, "line", f"line {out.line} of list {number} was entered before")
            else:
                for error in out.errors or []:
                    result.note(line_no, _column(error.loc), error.message)
                result.rejected += 1
    result.errors.sort(key=lambda e: e["line"] or 0)
    counts = {
        "created": result.created,
        "duplicate": result.duplicates,
        "rejected": result.rejected,
    }
    entered = sorted(flushed_id(walk_list) for walk_list in lists.values())
    await audit.record(session, tenant, "results.upload", "walk_list", entered, counts)
    return result
