"""Voter-file import throughput: N synthetic voters at the Cambridge addresses, end to end.

    make bench-import                 # 200,000 voters
    make bench-import BENCH_ARGS="--rows 50000"

Prints rows/s for a first import (all new) and a re-import of the same file (all upserts),
each timed from the open file to the committed transaction: parse, validate, households,
precincts, writes. Runs in a throwaway campaign that is deleted afterwards.
"""

import argparse
import asyncio
import csv
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from app.config import get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.demo import campaign as demo
from app.models import Role
from app.services.access.tenancy import Tenant
from app.services.access.users import create_campaign
from app.services.geography.precincts import import_precincts
from app.services.voter_file.importer import import_voters


def synthetic_rows(rows: int, id_prefix: str = "B") -> Iterator[list[str]]:
    """`rows` voters: the demo generator repeated (new seed each round), ids `id_prefix` and a
    number; later rounds live in numbered units so households keep growing, as in a real
    city's file. The first round lives at the demo's doors."""
    written, round_no = 0, 0
    unit_col = demo.COLUMNS.index("unit")
    while written < rows:
        batch = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv", seed=demo.SEED + round_no)
        for row in batch[: rows - written]:
            row[0] = f"{id_prefix}{written:09d}"
            if round_no:
                row[unit_col] = f"Apt {round_no}"
            yield row
            written += 1
        round_no += 1


def write_file(path: Path, rows: int) -> None:
    """A voter file of `rows` synthetic voters (`synthetic_rows`)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(demo.COLUMNS)
        writer.writerows(synthetic_rows(rows))


async def run(rows: int) -> None:
    engine = make_engine(get_settings())
    factory = make_sessionmaker(engine)
    slug = f"bench-{int(time.time())}"
    async with session_scope(factory) as session:
        campaign = await create_campaign(
            session, "Import benchmark", slug, f"{slug}@bench.test", "bench-password"
        )
        tenant = Tenant(campaign_id=campaign.id, user_id=None, role=Role.admin)  # type: ignore[arg-type]
        await import_precincts(session, tenant, demo.precinct_features(), "WardPrecinct", "name")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "voters.csv"
        write_file(path, rows)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {rows:,} rows, {size_mb:.1f} MB")
        for label in ("first import", "re-import (same file)"):
            started = time.perf_counter()
            async with session_scope(factory) as session:
                with path.open("rb") as stream:
                    result = await import_voters(session, tenant, stream)
            elapsed = time.perf_counter() - started
            print(
                f"{label:<22} {elapsed:6.2f} s  {result.rows_read / elapsed:>9,.0f} rows/s  "
                f"created {result.created:,} updated {result.updated:,} "
                f"rejected {result.rejected} without precinct {result.without_precinct}"
            )
    async with session_scope(factory) as session:
        for table in ("person", "household", "precinct", "membership"):
            await session.execute(
                text(f"DELETE FROM {table} WHERE campaign_id = :c"), {"c": campaign.id}
            )
        await session.execute(text("DELETE FROM campaign WHERE id = :c"), {"c": campaign.id})
        await session.execute(
            text("DELETE FROM app_user WHERE email = :e"), {"e": f"{slug}@bench.test"}
        )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    asyncio.run(run(parser.parse_args().rows))


if __name__ == "__main__":
    main()
