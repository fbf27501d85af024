"""Voter-file import: Arrow-checked CSV -> COPY into staging -> set-based writes.

`csv_reader` parses and checks every cell (vectorised); PostgreSQL does the rest in a handful of
statements over temporary tables: duplicate ids, doors (households), their precincts (PostGIS
point-in-polygon), then people by external id. Re-importing a file never duplicates a person.

Each write is split into "resolve ids, update what changed, insert what is new" instead of
INSERT ... ON CONFLICT: plain INSERTs cost a fraction of speculative insertion on a large file,
and no statement reads the table it is growing (whose plan would be made for an empty table).
Imports of one campaign are serialised by an advisory lock, which makes the split safe.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import analyze_if_stale
from app.services.access.tenancy import Tenant
from app.services.import_outcome import ImportOutcome
from app.services.voter_file.cell_checks import TYPES
from app.services.voter_file.csv_reader import MAX_ERRORS_KEPT, CsvFileError, VoterCsvReader

__all__ = ["CsvFileError", "import_voters"]

_IMPORT_LOCK = 4242  # advisory-lock namespace: "a voter import of campaign N is running"


# Only the first line of a voter_id counts; later lines with the same id are rejected, never
# silently merged.
_DUPLICATES = """
    SELECT s.line, d.first, s.voter_id
    FROM stg s
    JOIN (SELECT voter_id, min(line) AS first FROM stg GROUP BY 1 HAVING count(*) > 1) d
      ON s.voter_id = d.voter_id AND s.line > d.first
    ORDER BY s.line
"""

_HOUSEHOLD_COLUMNS = ("house_number", "house_suffix", "street", "unit", "city", "state", "zip")
_HC = ", ".join(_HOUSEHOLD_COLUMNS)

# The doors of the file, one row each: the first line that has a point gives the door its point.
_DOORS = f"""
    CREATE TEMP TABLE doors ON COMMIT DROP AS
    SELECT DISTINCT ON (address_key) address_key, {_HC}, precinct_code,
        CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END AS geom,
        NULL::bigint AS precinct_id, NULL::bigint AS household_id
    FROM stg
    ORDER BY address_key, lon IS NULL, line
"""

# A door's precinct: by point-in-polygon (precincts drive the join, so each polygon is tested
# against the points in its bounding box and PostGIS reuses its prepared form); a point on a
# shared boundary goes to the precinct with the smaller code, as in precincts.py. Without a
# point, by the code the file gives, when it names a known precinct.
_DOOR_PRECINCTS = """
    UPDATE doors d SET precinct_id = l.precinct_id
    FROM (
        SELECT DISTINCT ON (d.address_key) d.address_key, p.id AS precinct_id
        FROM precinct p
        CROSS JOIN LATERAL (
            SELECT address_key FROM doors d WHERE ST_Intersects(p.geom, d.geom)
        ) d
        WHERE p.campaign_id = :cid
        ORDER BY d.address_key, p.code, p.id
    ) l
    WHERE d.address_key = l.address_key
"""
_DOOR_PRECINCTS_BY_CODE = """
    UPDATE doors d SET precinct_id = p.id
    FROM precinct p
    WHERE d.geom IS NULL AND p.campaign_id = :cid AND p.code = d.precinct_code
"""
_KNOWN_DOORS = """
    UPDATE doors d SET household_id = h.id
    FROM household h
    WHERE h.campaign_id = :cid AND h.address_key = d.address_key
"""
# A door the file gives neither a point nor a known precinct keeps the precinct it had.
_PRECINCT_KEPT = (
    "CASE WHEN d.geom IS NULL AND d.precinct_id IS NULL THEN h.precinct_id ELSE d.precinct_id END"
)
_UPDATE_HOUSEHOLDS = f"""
    UPDATE household h SET
        {", ".join(f"{c} = d.{c}" for c in _HOUSEHOLD_COLUMNS)},
        geom = coalesce(d.geom, h.geom),
        precinct_id = {_PRECINCT_KEPT},
        updated_at = now()
    FROM doors d
    WHERE h.campaign_id = :cid AND h.id = d.household_id
      AND ({", ".join(f"h.{c}" for c in _HOUSEHOLD_COLUMNS)}, h.geom, h.precinct_id)
          IS DISTINCT FROM
          ({", ".join(f"d.{c}" for c in _HOUSEHOLD_COLUMNS)}, coalesce(d.geom, h.geom),
           {_PRECINCT_KEPT})
"""
_INSERT_HOUSEHOLDS = f"""
    WITH added AS (
        INSERT INTO household (campaign_id, address_key, {_HC}, geom, precinct_id)
        SELECT :cid, address_key, {_HC}, geom, precinct_id FROM doors WHERE household_id IS NULL
        RETURNING id, address_key
    )
    UPDATE doors d SET household_id = added.id FROM added WHERE d.address_key = added.address_key
"""

# Voter-file columns of a person; canvass data (support, tags, flags) is never touched here.
_PERSON_VALUES = {
    "first_name": "s.first_name",
    "middle_name": "s.middle_name",
    "last_name": "s.last_name",
    "suffix": "s.suffix",
    "birth_date": "s.birth_date",
    "birth_year": "s.birth_year::smallint",
    "sex": "upper(s.sex)",
    "party": "s.party",
    "phone": "s.phone",
    "email": "lower(s.email)",
}
_PERSON_COLUMNS = list(_PERSON_VALUES)
# Which file columns a person column comes from: absent columns leave stored values alone.
_SOURCES = {"birth_year": ("birth_year", "birth_date")}


def _people_sql(present: set[str], custom_count: int) -> list[str]:
    """Statements that stage the people with their household and known id, update the known
    ones whose file data changed, and insert the new ones."""
    updated = [c for c in _PERSON_COLUMNS if any(s in present for s in _SOURCES.get(c, (c,)))]
    pairs = ", ".join(f"CAST(:n{i} AS text), s.c{i}" for i in range(custom_count))
    custom = f"jsonb_strip_nulls(jsonb_build_object({pairs}))" if custom_count else "'{}'::jsonb"
    set_custom = ", custom_fields = p.custom_fields || x.custom_fields" if custom_count else ""
    custom_changed = "OR NOT (p.custom_fields @> x.custom_fields)" if custom_count else ""
    stage = f"""
        CREATE TEMP TABLE people ON COMMIT DROP AS
        SELECT s.voter_id AS external_id, d.household_id,
            {", ".join(f"{expr} AS {c}" for c, expr in _PERSON_VALUES.items())},
            {custom} AS custom_fields, NULL::bigint AS person_id
        FROM stg s JOIN doors d ON d.address_key = s.address_key
    """
    known = """
        UPDATE people x SET person_id = p.id FROM person p
        WHERE p.campaign_id = :cid AND p.external_id = x.external_id
    """
    update = f"""
        UPDATE person p SET household_id = x.household_id,
            {"".join(f"{c} = x.{c}, " for c in updated)} updated_at = now() {set_custom}
        FROM people x
        WHERE p.campaign_id = :cid AND p.id = x.person_id
          AND ((p.household_id, {", ".join(f"p.{c}" for c in updated)})
               IS DISTINCT FROM (x.household_id, {", ".join(f"x.{c}" for c in updated)})
               {custom_changed})
    """
    insert = f"""
        INSERT INTO person (campaign_id, external_id, household_id, {", ".join(_PERSON_COLUMNS)},
                            custom_fields)
        SELECT :cid, external_id, household_id, {", ".join(_PERSON_COLUMNS)}, custom_fields
        FROM people WHERE person_id IS NULL
    """
    return [stage, "ANALYZE people", known, update, insert]


_WITHOUT_PRECINCT = """
    SELECT count(*) FROM stg s
    JOIN doors d ON d.address_key = s.address_key
    JOIN household h ON h.campaign_id = :cid AND h.id = d.household_id
    WHERE h.precinct_id IS NULL
"""


async def _chunks(
    reader: VoterCsvReader, progress: Callable[[int], None] | None
) -> AsyncIterator[bytes]:
    """CSV chunks from the reader, each parsed in a worker thread (the event loop stays free)."""
    chunks = reader.chunks()
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        if progress is not None:
            progress(reader.state.bytes_read)
        yield chunk


async def _copy_to_staging(
    session: AsyncSession, reader: VoterCsvReader, progress: Callable[[int], None] | None
) -> None:
    columns = reader.staging_columns
    types = {"line": "int", **TYPES}
    ddl = ", ".join(f"{c} {types.get(c, 'text')}" for c in columns)
    await session.execute(text(f"CREATE TEMP TABLE stg ({ddl}) ON COMMIT DROP"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_to_table(  # type: ignore[union-attr]
        "stg", source=_chunks(reader, progress), columns=columns, format="csv"
    )
    await session.execute(text("ANALYZE stg"))


async def _reject_duplicates(session: AsyncSession, reader: VoterCsvReader) -> None:
    rows = (await session.execute(text(_DUPLICATES))).all()
    for line, first, voter_id in rows:
        reader.state.reject(line, "voter_id", f"voter_id {voter_id!r} repeats line {first}")
    if rows:
        await session.execute(
            text("DELETE FROM stg WHERE line = ANY(CAST(:lines AS int[]))"),
            {"lines": [r.line for r in rows]},
        )


async def _write_households(session: AsyncSession, cid: dict[str, Any]) -> None:
    await session.execute(text(_DOORS))
    await session.execute(text("CREATE INDEX ON doors USING gist (geom)"))
    await session.execute(text("ANALYZE doors"))
    await session.execute(text(_DOOR_PRECINCTS), cid)
    await session.execute(text(_DOOR_PRECINCTS_BY_CODE), cid)
    doors = (await session.execute(text("SELECT count(*) FROM doors"))).scalar_one()
    await analyze_if_stale(session, {"household": doors}, skip_if_busy=False)
    await session.execute(text(_KNOWN_DOORS), cid)
    await session.execute(text(_UPDATE_HOUSEHOLDS), cid)
    await session.execute(text(_INSERT_HOUSEHOLDS), cid)
    # The people's foreign-key checks look households up one by one: with statistics that
    # still say "empty", each lookup would scan the whole table.
    await analyze_if_stale(session, {"household": doors}, skip_if_busy=False)


async def _write_people(
    session: AsyncSession, reader: VoterCsvReader, cid: dict[str, Any]
) -> tuple[int, int]:
    params: dict[str, Any] = dict(cid)
    params.update({f"n{i}": name for i, name in enumerate(reader.custom_names)})
    stage, analyze, known, update, insert = _people_sql(
        reader.header.present, len(reader.custom_names)
    )
    await session.execute(text(stage), params)
    await session.execute(text(analyze))
    await analyze_if_stale(session, {"person": reader.state.rows_read}, skip_if_busy=False)
    await session.execute(text(known), cid)
    updated = (await session.execute(text(update), cid)).rowcount  # type: ignore[attr-defined]
    created = (await session.execute(text(insert), cid)).rowcount  # type: ignore[attr-defined]
    # so that the next queries see them
    await analyze_if_stale(session, {"person": created}, skip_if_busy=False)
    return created, updated


async def import_voters(
    session: AsyncSession,
    tenant: Tenant,
    stream: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import a voter-file CSV into the campaign. Raises CsvFileError when the file as a whole
    is unusable; otherwise bad rows are reported and every good row is loaded."""
    reader = await asyncio.to_thread(VoterCsvReader, stream)
    cid = {"cid": tenant.campaign_id}
    await session.execute(text(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK}, :cid)"), cid)
    await _copy_to_staging(session, reader, progress)
    await _reject_duplicates(session, reader)
    await _write_households(session, cid)
    created, updated = await _write_people(session, reader, cid)
    without_precinct = (await session.execute(text(_WITHOUT_PRECINCT), cid)).scalar_one()
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
