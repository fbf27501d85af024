"""Every raw SQL statement in app/ that names a tenant-owned table is scoped to one campaign.

The README says every tenant query is scoped; the ORM side goes through `tenant_select`, and
this checks the `text()` side. The statements are found statically (`ast`, nothing is run) and
checked with a documented heuristic, both in `tests/sql_statements.py`. In short: each
reference to a tenant-owned table (a table with `campaign_id`, from the SQLModel metadata) in
FROM / JOIN / UPDATE / DELETE FROM, at any depth, must have its `alias.campaign_id` compared to
a parameter, or equated with the campaign_id of a reference that is; an INSERT INTO one must
list `campaign_id` among its columns.

A statement that legitimately does not filter goes in ALLOWED with the reason. Keep it short:
a real gap is fixed in app/, not allowed here.
"""

from functools import cache
from pathlib import Path

import pytest

from app.models import metadata
from tests.sql_statements import (
    Statement,
    Unresolved,
    collect,
    collect_source,
    references,
    tenant_tables,
    unscoped,
)

ROOT = Path(__file__).resolve().parents[1]
TABLES = tenant_tables(metadata)

# (file, a fragment of the statement, whitespace collapsed) -> why it need not filter.
ALLOWED: dict[tuple[str, str], str] = {}
# (file, the text() argument as written) -> why the collector need not read it.
ALLOWED_UNRESOLVED: dict[tuple[str, str], str] = {}

# A sanity floor: fewer statements than this naming a tenant table means the collector broke
# (38 when this was written).
MIN_TENANT_STATEMENTS = 30


@cache
def app_sql() -> tuple[list[Statement], list[Unresolved]]:
    return collect(ROOT)


def _flat(sql: str) -> str:
    return " ".join(sql.split())


def _allowed(statement: Statement) -> bool:
    return any(
        statement.path == path and fragment in _flat(statement.sql) for path, fragment in ALLOWED
    )


# --- the app ----------------------------------------------------------------------------------


def test_the_collector_finds_the_apps_sql() -> None:
    statements, _ = app_sql()
    naming = [s for s in statements if references(s.sql, TABLES)]
    assert len(naming) >= MIN_TENANT_STATEMENTS, (
        f"only {len(naming)} of {len(statements)} statements in app/ name a tenant-owned table:"
        " has the SQL moved somewhere the collector does not look?"
    )


def test_every_text_argument_is_readable() -> None:
    _, unresolved = app_sql()
    unread = [u for u in unresolved if (u.path, u.source) not in ALLOWED_UNRESOLVED]
    assert not unread, "text() arguments the scoping check cannot read:\n" + "\n".join(
        f"  {u.path}:{u.line}: text({u.source})" for u in unread
    )


def test_every_tenant_statement_filters_on_campaign_id() -> None:
    statements, _ = app_sql()
    failures = [
        f"  {s.path}:{s.line}: {p.table} (as {p.alias}): {p.why}; near '{p.near}'"
        for s in statements
        if not _allowed(s)
        for p in unscoped(s.sql, TABLES)
    ]
    assert not failures, "SQL not scoped to one campaign:\n" + "\n".join(failures)


def test_the_allow_lists_are_current() -> None:
    statements, unresolved = app_sql()
    stale = [
        key
        for key in ALLOWED
        if not any(
            s.path == key[0] and key[1] in _flat(s.sql) and unscoped(s.sql, TABLES)
            for s in statements
        )
    ]
    stale += [k for k in ALLOWED_UNRESOLVED if k not in {(u.path, u.source) for u in unresolved}]
    assert not stale, f"allow-list entries that no longer match anything: {stale}"


# --- the checker ------------------------------------------------------------------------------

SCOPED = {
    "one table": "SELECT * FROM person WHERE campaign_id = :cid AND id = :id",
    "param first": "SELECT * FROM person p WHERE :cid = p.campaign_id",
    "any": "SELECT id FROM contact WHERE campaign_id = ANY(CAST(:cids AS bigint[]))",
    "in": "SELECT id FROM contact c WHERE c.campaign_id IN (SELECT campaign_id FROM x)",
    "join chain": """
        SELECT p.id FROM turf t
        JOIN household h ON h.campaign_id = t.campaign_id AND ST_Covers(t.geom, h.geom)
        JOIN person p ON p.campaign_id = h.campaign_id AND p.household_id = h.id
        WHERE t.campaign_id = :cid AND t.id = :turf_id {predicates}
    """,
    "correlated sub-select": """
        SELECT c.id, (SELECT count(*) FROM contact_response r
                      WHERE r.campaign_id = c.campaign_id AND r.contact_id = c.id)
        FROM contact c WHERE c.campaign_id = :cid
    """,
    "bare column in a sub-select": """
        SELECT count(*) FROM contact c
        WHERE c.campaign_id = :cid AND c.id IN (SELECT contact_id FROM contact_target
                                                 WHERE campaign_id = :cid AND person_id = :p)
    """,
    "update from": """
        UPDATE person p SET moved = x.moved, updated_at = now()
        FROM unnest(CAST(:ids AS bigint[]), CAST(:moved AS bool[])) AS x(id, moved)
        WHERE p.campaign_id = :cid AND p.id = x.id
    """,
    "temporary table updated from a tenant table": """
        UPDATE doors d SET household_id = h.id FROM household h
        WHERE h.campaign_id = :cid AND h.address_key = d.address_key
    """,
    "delete": "DELETE FROM walk_list_code WHERE campaign_id = :cid AND id = :id",
    "insert select": """
        INSERT INTO turf (campaign_id, name, geom)
        SELECT :cid, :name, ST_Union(geom) FROM precinct WHERE campaign_id = :cid
    """,
    "insert in a CTE, upsert": """
        WITH added AS (
            INSERT INTO person_field_source AS s (campaign_id, person_id, field, value)
            SELECT :cid, * FROM unnest(:p, :f, :v)
            ON CONFLICT (campaign_id, person_id, field) DO UPDATE SET value = excluded.value
            RETURNING person_id
        ) SELECT * FROM added
    """,
    "the campaign by id": "SELECT c.name, t.id FROM campaign c JOIN turf t ON t.campaign_id = c.id"
    " WHERE c.id = :cid",
    "no tenant table": "SELECT relname FROM pg_class WHERE oid = ANY(CAST(:t AS regclass[]))",
    "IS DISTINCT FROM is no FROM": """
        UPDATE household h SET precinct_id = d.precinct_id FROM doors d
        WHERE h.campaign_id = :cid AND h.id = d.household_id
          AND h.precinct_id IS DISTINCT FROM d.precinct_id
    """,
}

UNSCOPED = {
    "no filter": ("SELECT * FROM person WHERE id = :id", {"person"}),
    "join forgets the second table": (
        """SELECT * FROM household h JOIN person p ON p.household_id = h.id
           WHERE h.campaign_id = :cid""",
        {"p"},
    ),
    "joined only to each other": (
        "SELECT * FROM household h JOIN person p ON p.campaign_id = h.campaign_id",
        {"h", "p"},
    ),
    "compared to a column": (
        "SELECT * FROM person p WHERE p.campaign_id = p.id",
        {"p"},
    ),
    "sub-select": (
        """SELECT * FROM contact WHERE campaign_id = :cid
           AND person_id IN (SELECT id FROM person WHERE moved)""",
        {"person"},
    ),
    "CTE body": (
        "WITH x AS (SELECT * FROM walk_list_target) SELECT * FROM x",
        {"walk_list_target"},
    ),
    "comma in FROM": ("SELECT * FROM turf t, household h WHERE t.campaign_id = :cid", {"h"}),
    "lateral": (
        """SELECT * FROM precinct p CROSS JOIN LATERAL (
               SELECT h.id FROM household h WHERE ST_Intersects(p.geom, h.geom)) l
           WHERE p.campaign_id = :cid""",
        {"h"},
    ),
    "update": ("UPDATE person SET moved = true WHERE id = :id", {"person"}),
    "a SET is no filter": ("UPDATE person SET campaign_id = :cid WHERE id = :id", {"person"}),
    "delete": ("DELETE FROM contact c WHERE c.id = :id", {"c"}),
    "insert without campaign_id": (
        "INSERT INTO contact_target (contact_id, person_id) VALUES (:c, :p)",
        {"contact_target"},
    ),
    "insert without a column list": (
        "INSERT INTO turf SELECT * FROM turf WHERE campaign_id = :cid",
        {"turf"},
    ),
    "the campaign by slug": ("SELECT * FROM campaign WHERE slug = :slug", {"campaign"}),
    "filter in a comment": ("SELECT * FROM person -- WHERE campaign_id = :cid", {"person"}),
    "filter in a string": ("SELECT * FROM person WHERE note = 'campaign_id = 1'", {"person"}),
}


@pytest.mark.parametrize("sql", SCOPED.values(), ids=SCOPED.keys())
def test_scoped_sql_passes(sql: str) -> None:
    assert unscoped(sql, TABLES) == []


@pytest.mark.parametrize(("sql", "aliases"), UNSCOPED.values(), ids=UNSCOPED.keys())
def test_unscoped_sql_fails(sql: str, aliases: set[str]) -> None:
    assert {p.alias for p in unscoped(sql, TABLES)} == aliases


# --- the collector ----------------------------------------------------------------------------

SOURCE = '''
import sqlalchemy as sa
from sqlalchemy import text as sql_text

_ONE = "SELECT * FROM person WHERE campaign_id = :cid"
_COLS = "id, street"
_TEMPLATE = """SELECT {cols} FROM turf WHERE campaign_id = :cid"""
_NOT_RUN_HERE = "UPDATE walk_list SET name = :name"


def _statements(flag):
    first = f"SELECT {_COLS} FROM household"
    return [first, "DELETE FROM contact" + " WHERE id = :id"]


async def run(session, raw, where):
    """SELECT is no word of a docstring to check."""
    await session.execute(sql_text(_ONE))
    await session.execute(sa.text(_TEMPLATE.format(cols="id")))
    first, second = _statements(True)
    await session.execute(sql_text(first))
    await session.execute(sql_text(second))
    sql = "SELECT 1" if where else "SELECT 2"
    await session.execute(sql_text(sql))
    await session.execute(sql_text(where))
    await raw.copy_records_to_table("person", records=[], columns=["id", "name"])
'''


def test_the_collector_reads_what_text_runs() -> None:
    statements, unresolved = collect_source("app/example.py", SOURCE)
    assert {(s.sql, s.via) for s in statements} == {
        ("SELECT * FROM person WHERE campaign_id = :cid", "text()"),
        ("SELECT {cols} FROM turf WHERE campaign_id = :cid", "text()"),
        ("UPDATE walk_list SET name = :name", "literal"),
        ("SELECT id, street FROM household", "text()"),
        ("DELETE FROM contact WHERE id = :id", "text()"),
        ("SELECT 1", "text()"),
        ("SELECT 2", "text()"),
        ("INSERT INTO person (id, name)", "asyncpg"),
    }
    assert [u.source for u in unresolved] == ["where"]
    unscoped_tables = {p.table for s in statements for p in unscoped(s.sql, TABLES)}
    assert unscoped_tables == {"walk_list", "household", "contact", "person"}
