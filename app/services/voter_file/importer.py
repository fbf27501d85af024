"""Voter-file import: Arrow-checked CSV -> COPY into staging -> set-based writes.

`csv_reader` parses and checks every cell (vectorised); PostgreSQL does the rest in a handful of
statements over temporary tables: duplicate ids, doors (households), their precincts (PostGIS
point-in-polygon), then people by external id. Re-importing a file never duplicates a person.

Each write is split into "resolve ids, update what changed, insert what is new" instead of
INSERT ... ON CONFLICT: plain INSERTs cost a fraction of speculative insertion on a large file,
and no statement reads the table it is growing (whose plan would be made for an empty table).
Imports of one campaign are serialised by an advisory lock, which makes the split safe.

Phones sync while an import runs, and a sync writes doors (a wrong address) and then people
(answers, last contact). New rows are inserted first, which no sync can be waiting for; the
updates of known doors and people come last, just before the commit, so a sync waits on their
locks for as short a time as possible; and they lock doors, then people, each in id order, as a
sync does, so the two wait for each other, never in a cycle (a deadlock).
"""

import asyncio
from collections.abc import AsyncIterator
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import analyze_if_stale, rowcount
from app.services.access.tenancy import Tenant
from app.services.import_outcome import ImportOutcome, ImportProgress, ProgressCallback
from app.services.voter_file import queries
from app.services.voter_file.cell_checks import TYPES
from app.services.voter_file.csv_reader import MAX_ERRORS_KEPT, CsvFileError, VoterCsvReader

__all__ = ["CsvFileError", "import_voters"]

_IMPORT_LOCK = 4242  # advisory-lock namespace: "a voter import of campaign N is running"


async def _chunks(
    reader: VoterCsvReader, progress: ProgressCallback | None
) -> AsyncIterator[bytes]:
    """CSV chunks from the reader, each parsed in a worker thread (the event loop stays free).
    Progress is reported after each chunk."""
    chunks = reader.chunks()
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        if progress is not None:
            state = reader.state
            progress(ImportProgress("reading", state.rows_read, state.bytes_read))
        yield chunk


async def _copy_to_staging(
    session: AsyncSession, reader: VoterCsvReader, progress: ProgressCallback | None
) -> None:
    columns = reader.staging_columns
    types = {"line": "int", **TYPES}
    ddl = ", ".join(f"{c} {types.get(c, 'text')}" for c in columns)
    await session.execute(text(f"CREATE TEMP TABLE stg ({ddl}) ON COMMIT DROP"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None  # the asyncpg connection of a live session
    await raw.driver_connection.copy_to_table(
        "stg", source=_chunks(reader, progress), columns=columns, format="csv"
    )
    await session.execute(text("ANALYZE stg"))


async def _reject_duplicates(session: AsyncSession, reader: VoterCsvReader) -> None:
    rows = (await session.execute(text(queries.DUPLICATES))).all()
    for line, first, voter_id in rows:
        reader.state.reject(line, "voter_id", f"voter_id {voter_id!r} repeats line {first}")
    if rows:
        await session.execute(
            text("DELETE FROM stg WHERE line = ANY(CAST(:lines AS int[]))"),
            {"lines": [r.line for r in rows]},
        )


async def _add_households(session: AsyncSession, cid: dict[str, Any]) -> None:
    """The file's doors with their precinct and known household; the new ones inserted."""
    await session.execute(text(queries.DOORS))
    await session.execute(text("CREATE INDEX ON doors USING gist (geom)"))
    await session.execute(text("ANALYZE doors"))
    await session.execute(text(queries.DOOR_PRECINCTS), cid)
    await session.execute(text(queries.DOOR_PRECINCTS_BY_CODE), cid)
    doors = (await session.execute(text("SELECT count(*) FROM doors"))).scalar_one()
    await analyze_if_stale(session, {"household": doors}, skip_if_busy=False)
    await session.execute(text(queries.KNOWN_DOORS), cid)
    await session.execute(text(queries.INSERT_HOUSEHOLDS), cid)
    # The people's foreign-key checks look households up one by one: with statistics that
    # still say "empty", each lookup would scan the whole table.
    await analyze_if_stale(session, {"household": doors}, skip_if_busy=False)


async def _add_people(
    session: AsyncSession,
    reader: VoterCsvReader,
    cid: dict[str, Any],
    progress: ProgressCallback | None,
) -> int:
    """The file's people with their household and known id; the new ones inserted (how
    many). The known ones are updated by `_update_people`, last."""
    params: dict[str, Any] = dict(cid)
    params.update({f"n{i}": name for i, name in enumerate(reader.custom_names)})
    stage, analyze, known, insert, _ = queries.people_sql(
        reader.header.present, len(reader.custom_names)
    )
    await session.execute(text(stage), params)
    await session.execute(text(analyze))
    await analyze_if_stale(session, {"person": reader.state.rows_read}, skip_if_busy=False)
    await session.execute(text(known), cid)
    created = rowcount(await session.execute(text(insert), cid))
    _report_writing(progress, reader, created)
    # so that the next queries see them
    await analyze_if_stale(session, {"person": created}, skip_if_busy=False)
    return created


async def _update_people(session: AsyncSession, reader: VoterCsvReader, cid: dict[str, Any]) -> int:
    """The known people whose voter-file data changed, updated (how many)."""
    _, _, _, _, update = queries.people_sql(reader.header.present, len(reader.custom_names))
    return rowcount(await session.execute(text(update), cid))


def _report_writing(progress: ProgressCallback | None, reader: VoterCsvReader, done: int) -> None:
    """Writing-stage progress: people written so far, of the rows read."""
    if progress is not None:
        state = reader.state
        progress(ImportProgress("writing", done, state.bytes_read, state.rows_read))


async def import_voters(
    session: AsyncSession,
    tenant: Tenant,
    stream: IO[bytes],
    progress: ProgressCallback | None = None,
) -> ImportOutcome:
    """Import a voter-file CSV into the campaign. Raises CsvFileError when the file as a whole
    is unusable; otherwise bad rows are reported and every good row is loaded.

    `progress` is called after each chunk read and after each write of people (stages
    "reading" then "writing"); it runs on the event loop and must be quick."""
    reader = await asyncio.to_thread(VoterCsvReader, stream)
    cid = {"cid": tenant.campaign_id}
    await session.execute(text(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK}, :cid)"), cid)
    await _copy_to_staging(session, reader, progress)
    await _reject_duplicates(session, reader)
    _report_writing(progress, reader, 0)
    await _add_households(session, cid)
    created = await _add_people(session, reader, cid, progress)
    # Last, the updates of rows that phones' syncs write too (a wrong address flags a door,
    # answers change people): their locks are held until the commit, so they come right
    # before it, doors then people, each in id order, as a sync takes them.
    await session.execute(text(queries.UPDATE_HOUSEHOLDS), cid)
    updated = await _update_people(session, reader, cid)
    _report_writing(progress, reader, created + updated)
    without_precinct = (await session.execute(text(queries.WITHOUT_PRECINCT), cid)).scalar_one()
    # ON COMMIT DROP covers a real commit; inside an enclosing transaction (a savepoint, as in
    # the tests) the tables would outlive the import and collide with the next one.
    await session.execute(text("DROP TABLE stg, doors, people"))

    state = reader.state
    errors = sorted(state.errors, key=lambda e: (e["line"], e["column"] or ""))
    # A voter file has no duplicates to count: repeats of a voter_id are rejected.
    return ImportOutcome(
        rows_read=state.rows_read,
        created=created,
        updated=updated,
        rejected=state.error_count,
        without_precinct=without_precinct,
        errors=errors[:MAX_ERRORS_KEPT],
    )
