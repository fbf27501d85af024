"""Planner statistics refreshed after big first writes (app.db.analyze_if_stale)."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import analyze_if_stale


@dataclass
class Probe:
    """A table of its own for one test, and a session on it."""

    table: str
    session: AsyncSession

    async def insert(self, rows: int) -> None:
        await self.session.execute(
            text(f"INSERT INTO {self.table} SELECT generate_series(1, {rows})")
        )

    async def estimate(self) -> float:
        """The planner's row estimate (negative: never analysed)."""
        query = text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)")
        return (await self.session.execute(query, {"t": self.table})).scalar_one()

    async def count(self) -> int:
        return (await self.session.execute(text(f"SELECT count(*) FROM {self.table}"))).scalar_one()


@pytest.fixture
async def probe(engine: AsyncEngine) -> AsyncIterator[Probe]:
    """A new, empty table (dropped afterwards)."""
    table = f"stats_probe_{uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (x int)"))
    try:
        async with AsyncSession(engine) as session:
            yield Probe(table, session)
            await session.rollback()
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))


@pytest.fixture
async def known(probe: Probe) -> Probe:
    """The probe table with 500 rows that the planner knows of, committed."""
    await probe.insert(500)
    await analyze_if_stale(probe.session, {probe.table: 500})
    assert await probe.estimate() == 500
    await probe.session.commit()  # ANALYZE's lock lasts until the transaction ends
    return probe


@asynccontextmanager
async def locked_elsewhere(engine: AsyncEngine, table: str) -> AsyncIterator[None]:
    """Another connection holds the lock that ANALYZE needs, as autovacuum would."""
    async with engine.connect() as other:
        await other.begin()
        await other.execute(text(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE"))
        yield
        await other.rollback()


async def test_a_table_never_analysed_is_analysed_after_a_big_write(probe: Probe) -> None:
    await probe.insert(500)
    assert await probe.estimate() < 0  # never analysed
    await analyze_if_stale(probe.session, {probe.table: 500})
    assert await probe.estimate() == 500


async def test_a_few_more_rows_into_a_known_table_do_not_analyse_it_again(probe: Probe) -> None:
    """In the transaction that analysed it."""
    await probe.insert(500)
    await analyze_if_stale(probe.session, {probe.table: 500})
    await probe.insert(10)
    await analyze_if_stale(probe.session, {probe.table: 10})
    assert await probe.estimate() == 500


async def test_a_table_busy_elsewhere_is_skipped_without_waiting(
    engine: AsyncEngine, known: Probe
) -> None:
    """Autovacuum (here another connection) holds the lock ANALYZE needs: the request does not
    wait for it, and its transaction goes on unharmed."""
    async with locked_elsewhere(engine, known.table):
        await known.insert(2000)
        before = (await known.session.execute(text("SHOW lock_timeout"))).scalar_one()
        started = time.perf_counter()
        await analyze_if_stale(known.session, {known.table: 2000})
        assert time.perf_counter() - started < 2
        assert await known.estimate() == 500  # skipped
        assert (await known.session.execute(text("SHOW lock_timeout"))).scalar_one() == before
    assert await known.count() == 2500


async def test_a_skipped_table_is_analysed_once_free(engine: AsyncEngine, known: Probe) -> None:
    async with locked_elsewhere(engine, known.table):
        await known.insert(2000)
        await analyze_if_stale(known.session, {known.table: 2000})
        assert await known.estimate() == 500  # skipped
    await analyze_if_stale(known.session, {known.table: 2000})
    assert await known.estimate() == 2500
