"""Planner statistics refreshed after big first writes (app.db.analyze_if_stale)."""

import time
from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import analyze_if_stale


async def _estimate(session: AsyncSession, table: str) -> float:
    query = text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)")
    return (await session.execute(query, {"t": table})).scalar_one()


async def test_stale_tables_are_analysed_and_a_busy_one_is_skipped(engine: AsyncEngine) -> None:
    table = f"stats_probe_{uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (x int)"))
    try:
        async with AsyncSession(engine) as session:
            await session.execute(text(f"INSERT INTO {table} SELECT generate_series(1, 500)"))
            assert await _estimate(session, table) < 0  # never analysed
            await analyze_if_stale(session, {table: 500})
            assert await _estimate(session, table) == 500

            # A few more rows into a table the planner already knows: no new ANALYZE.
            await session.execute(text(f"INSERT INTO {table} SELECT generate_series(1, 10)"))
            await analyze_if_stale(session, {table: 10})
            assert await _estimate(session, table) == 500
            await session.commit()  # ANALYZE's lock lasts until the transaction ends

            # Autovacuum (here another connection) holds the lock ANALYZE needs: the request
            # does not wait for it, and its transaction goes on unharmed.
            async with engine.connect() as other:
                await other.begin()
                await other.execute(text(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE"))
                await session.execute(text(f"INSERT INTO {table} SELECT generate_series(1, 2000)"))
                before = (await session.execute(text("SHOW lock_timeout"))).scalar_one()
                started = time.perf_counter()
                await analyze_if_stale(session, {table: 2000})
                assert time.perf_counter() - started < 2
                assert await _estimate(session, table) == 500  # skipped
                assert (await session.execute(text("SHOW lock_timeout"))).scalar_one() == before
                await other.rollback()
            count = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 2510

            # Once free, the same stale table is analysed.
            await analyze_if_stale(session, {table: 2000})
            assert await _estimate(session, table) == 2510
            await session.rollback()
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))
