"""Engine and sessions. One session per request, committed once when the endpoint returns.

Row-level security (README, Security): every tenant-owned table has a policy that shows and
accepts only the rows of the campaign named by the transaction's `app.campaign_id` setting. A
session that knows its campaign (`session_scope(factory, campaign_id)`, or `use_campaign` once
a request's token is read) sets it at the start of each of its transactions, with one
statement (`set_config(..., true)`: it ends with the transaction, so a pooled connection never
carries it to the next one). A session that does not know its campaign sees no tenant rows at
all. The API server connects as a role the policies hold (`check_api_role` refuses others at
start-up); the owner (migrations, CLI) is not held by them.
"""

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, CursorResult, Result, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from app.config import Settings, UnsafeDatabaseRole

log = logging.getLogger("doorstep")

# session.info key: the campaign whose rows the session's transactions may touch.
CAMPAIGN = "campaign_id"
_SET_CAMPAIGN = text("SELECT set_config('app.campaign_id', :campaign, true)")


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE changed (its result is a CursorResult at run time,
    which the session's typing does not say)."""
    if not isinstance(result, CursorResult):
        raise TypeError("rowcount is for the result of an INSERT, UPDATE or DELETE")
    return result.rowcount


def make_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """An engine on `url`; by default DATABASE_URL, the owner's (CLI, tools). The server passes
    `config.api_database_url(settings)`."""
    return create_async_engine(
        url or settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        # Errors never carry the statement's parameters (hashes, phones, voter fields) into logs.
        hide_parameters=True,
        # JIT compilation costs more than it saves on our short OLTP and bulk statements.
        connect_args={"server_settings": {"jit": "off"}},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def _begin_in_campaign(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    """Each transaction of a session that knows its campaign starts by naming it (savepoints
    are inside a transaction that already has)."""
    campaign_id = session.info.get(CAMPAIGN)
    if campaign_id is None or transaction.nested:
        return
    connection.execute(_SET_CAMPAIGN, {"campaign": str(int(campaign_id))})


event.listen(Session, "after_begin", _begin_in_campaign)


async def use_campaign(session: AsyncSession, campaign_id: int) -> None:
    """From now on the session works for this campaign: its transaction (now, if one is open;
    otherwise when the next begins) may touch that campaign's rows, and only those."""
    known = session.info.get(CAMPAIGN)
    session.info[CAMPAIGN] = campaign_id
    if session.in_transaction() and known != campaign_id:
        await session.execute(_SET_CAMPAIGN, {"campaign": str(campaign_id)})


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession], campaign_id: int | None = None
) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit when the block ends normally, roll back on any error.

    `campaign_id`: the campaign whose data the unit of work touches, kept in
    `session.info["campaign_id"]` (jobs and flows that run outside a request say it here), so
    that row-level security lets its transactions touch that campaign's rows (see above)."""
    async with factory() as session:
        if campaign_id is not None:
            session.info[CAMPAIGN] = campaign_id
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def analyze_if_stale(
    session: AsyncSession, rows_written: Mapping[str, int], *, skip_if_busy: bool = True
) -> None:
    """ANALYZE the tables whose planner statistics are far behind the rows just written.

    Right after a table's first big writes (a new database's first voter file, first lists,
    first synced doors) the planner still believes it empty and picks nested loops over
    scans, and the first list pulls and syncs are many times slower until autovacuum comes
    round (`make bench-walk-list BENCH_ARGS=--no-analyze` shows it). The check is one catalogue
    read; a large, well-analysed table never qualifies, so steady-state requests pay nothing
    else.

    `skip_if_busy`: a request does not wait behind autovacuum (whose lock ANALYZE shares): past
    a short lock timeout the ANALYZE is skipped, in a savepoint, and autovacuum does the job.
    """
    wanted = {t: n for t, n in rows_written.items() if n > 0}
    if not wanted:
        return
    estimates = await session.execute(
        # the statistics function rather than the pg_stat_user_tables view: a quarter of the
        # planning and execution time, on every sync
        text(
            "SELECT relname, reltuples, pg_stat_get_mod_since_analyze(oid) FROM pg_class"
            " WHERE oid = ANY(CAST(:t AS regclass[]))"
        ),
        {"t": list(wanted)},
    )
    for table, estimate, changed in estimates.all():
        # stale: the planner counts fewer rows than were just written, or the table has
        # changed by as many rows as it held when last analysed (so at most log2(rows) times
        # in a table's life)
        if estimate >= wanted[table] and changed + wanted[table] < estimate:
            continue
        if not skip_if_busy:
            await analyze(session, table)
            continue
        previous = (await session.execute(text("SELECT current_setting('lock_timeout')"))).scalar()
        try:
            async with session.begin_nested():
                await session.execute(text("SELECT set_config('lock_timeout', '100ms', true)"))
                await analyze(session, table)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
        await session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": previous})


async def analyze(session: AsyncSession, *tables: str) -> None:
    """ANALYZE the application's tables, whoever is connected: through `analyze_table()`, a
    SECURITY DEFINER function of the owner (only a table's owner may ANALYZE it)."""
    for table in tables:
        await session.execute(text("SELECT analyze_table(CAST(:t AS regclass))"), {"t": table})


# The role's powers over row-level security: superuser and BYPASSRLS skip the policies, and
# the owner of a table (or a member of the owning role) is not held by them either.
_ROLE_CHECK = text(
    """
SELECT current_user AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
       (SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ', ') FROM pg_class c
        WHERE c.relrowsecurity AND pg_has_role(current_user, c.relowner, 'MEMBER')) AS owner,
       EXISTS (SELECT FROM pg_class c WHERE c.relrowsecurity) AS guarded
FROM pg_roles r WHERE r.rolname = current_user
"""
)


def role_problems(row: Any) -> list[str]:
    """What makes the connected role unfit for the API server (empty: fit)."""
    problems = []
    if row.superuser:
        problems.append(f"{row.role} is a superuser")
    if row.bypassrls:
        problems.append(f"{row.role} has BYPASSRLS")
    if row.owner:
        problems.append(f"{row.role} owns the tables (or is a member of their owner {row.owner})")
    if not row.guarded:
        problems.append("no table has row-level security (are the migrations applied?)")
    return problems


async def check_api_role(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """At the server's start: the role it connects as must be held by row-level security.
    Production refuses to start otherwise (UnsafeDatabaseRole); development warns."""
    async with factory() as session:
        row = (await session.execute(_ROLE_CHECK)).one()
    problems = role_problems(row)
    if not problems:
        return
    unset = "" if settings.api_database_url else " (API_DATABASE_URL is not set)"
    message = (
        "; ".join(problems) + ": row-level security would not hold this role to one campaign. "
        f"Set API_DATABASE_URL to a login role that is a member of doorstep_api{unset}."
    )
    if settings.doorstep_env == "development":
        log.warning("%s (development: starting anyway)", message)
        return
    raise UnsafeDatabaseRole(message + " Refusing to start.")
