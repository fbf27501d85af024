"""Engine and sessions. One session per request, committed once when the endpoint returns."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import CursorResult, Result, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE changed (its result is a CursorResult at run time,
    which the session's typing does not say)."""
    if not isinstance(result, CursorResult):
        raise TypeError("rowcount is for the result of an INSERT, UPDATE or DELETE")
    return result.rowcount


def make_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
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


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession], campaign_id: int | None = None
) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit when the block ends normally, roll back on any error.

    `campaign_id`: the campaign whose data the unit of work touches, kept in
    `session.info["campaign_id"]` (jobs and flows that run outside a request say it here)."""
    async with factory() as session:
        if campaign_id is not None:
            session.info["campaign_id"] = campaign_id
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
            await session.execute(text(f'ANALYZE "{table}"'))
            continue
        previous = (await session.execute(text("SELECT current_setting('lock_timeout')"))).scalar()
        try:
            async with session.begin_nested():
                await session.execute(text("SELECT set_config('lock_timeout', '100ms', true)"))
                await session.execute(text(f'ANALYZE "{table}"'))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
        await session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": previous})
