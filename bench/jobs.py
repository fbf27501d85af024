"""Durable jobs: an import through the API, and the queue's latency and throughput.

    make bench-jobs                            # 100,000-row voter file, 24 small jobs
    .venv/bin/python bench/jobs.py --rows 20000 --jobs 12

1. One voter import through the API (POST /imports/voters, then polling GET /imports/{id}
   until it ends), timed from the POST to `succeeded`: as before (JOB_RUNNER=inline: the job
   ran in the API process after the response) and now (queued in PostgreSQL, run by a worker).
   The POST's own time is the upload's storage (the file in PostgreSQL, with its queue entry).
2. Small jobs (20 rows): enqueue -> start latency (the job's created_at to started_at) of
   one job at a time to an idle worker, then a burst queued by 4 campaigns at once: job
   throughput and time waiting in the queue, with WORKER_CONCURRENCY jobs at once.
The API and the worker run in this process (ASGI transport), in throwaway campaigns deleted
afterwards.
"""

import argparse
import asyncio
import statistics
import time
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlmodel import col

from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.jobs.worker import run_worker
from app.main import create_app
from app.models import User
from app.services.access.sessions import open_session
from app.services.access.users import create_campaign

API = "/api/v1"


def voters_file(rows: int, prefix: str) -> bytes:
    lines = ["voter_id,first_name,last_name,house_number,street,city,zip"]
    streets = ("Main Street", "Elm Street", "Oak Avenue", "Pine Road", "Broadway")
    for i in range(rows):
        lines.append(f"{prefix}{i:08d},Ann{i},Lee,{i // 5 + 1},{streets[i % 5]},Cambridge,02139")
    return ("\n".join(lines) + "\n").encode()


async def make_campaigns(settings: Settings, count: int) -> list[tuple[int, dict[str, str]]]:
    """Throwaway campaigns, and their admin's bearer header."""
    engine = make_engine(settings)
    made = []
    try:
        for n in range(count):
            slug = f"bench-jobs-{int(time.time())}-{n}"
            async with session_scope(make_sessionmaker(engine)) as session:
                campaign = await create_campaign(
                    session, "Jobs benchmark", slug, f"{slug}@bench.test", "bench-password"
                )
                assert campaign.id is not None
                user_id = await session.scalar(
                    select(col(User.id)).where(col(User.campaign_id) == campaign.id)
                )
                assert user_id is not None
                token = await open_session(session, settings, campaign.id, user_id)
                made.append((campaign.id, {"Authorization": f"Bearer {token.access_token}"}))
    finally:
        await engine.dispose()
    return made


async def drop_campaigns(settings: Settings, ids: list[int]) -> None:
    engine = make_engine(settings)
    async with session_scope(make_sessionmaker(engine)) as session:
        for cid in ids:
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE (args->>'campaign_id')::bigint = :c"),
                {"c": cid},
            )
            for table in ("person", "household"):
                await session.execute(
                    text(f"DELETE FROM {table} WHERE campaign_id = :c"), {"c": cid}
                )
            await session.execute(text("DELETE FROM campaign WHERE id = :c"), {"c": cid})
    await engine.dispose()


async def poll(client: httpx.AsyncClient, headers: dict[str, str], job_id: int) -> Any:
    while True:
        job = (await client.get(f"{API}/imports/{job_id}", headers=headers)).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.05)


async def one_import(settings: Settings, headers: dict[str, str], content: bytes) -> None:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client,
    ):
        started = time.perf_counter()
        response = await client.post(
            f"{API}/imports/voters", files={"file": ("v.csv", content)}, headers=headers
        )
        posted = time.perf_counter() - started
        assert response.status_code == 202, response.text
        job = await poll(client, headers, response.json()["id"])
        total = time.perf_counter() - started
    label = "before (inline)" if settings.job_runner == "inline" else "now (worker)"
    print(
        f"  {label:<16} POST {posted:6.2f} s   POST -> {job['status']} {total:6.2f} s"
        f"   {job['rows_read'] / total:>8,.0f} rows/s"
    )


async def small_jobs(
    settings: Settings, campaigns: list[tuple[int, dict[str, str]]], n: int
) -> None:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client,
    ):
        worker = asyncio.create_task(run_worker(settings, install_signal_handlers=False))
        await asyncio.sleep(1.0)  # the worker is up and listening
        idle = []
        for i in range(8):  # one at a time, to an idle worker: the dispatch latency alone
            _, headers = campaigns[0]
            response = await client.post(
                f"{API}/imports/voters",
                files={"file": ("v.csv", voters_file(20, f"I{i}-"))},
                headers=headers,
            )
            job = await poll(client, headers, response.json()["id"])
            idle.append(_at(job["started_at"]) - _at(job["created_at"]))
        print(
            f"  idle worker, one job at a time: enqueue -> start p50 "
            f"{statistics.median(idle) * 1000:.0f} ms, max {max(idle) * 1000:.0f} ms"
        )
        started = time.perf_counter()
        queued = []
        for i in range(n):
            _, headers = campaigns[i % len(campaigns)]
            response = await client.post(
                f"{API}/imports/voters",
                files={"file": ("v.csv", voters_file(20, f"S{i}-"))},
                headers=headers,
            )
            assert response.status_code == 202, response.text
            queued.append((headers, response.json()["id"]))
        jobs = [await poll(client, h, j) for h, j in queued]
        elapsed = time.perf_counter() - started
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    latency = sorted(_at(j["started_at"]) - _at(j["created_at"]) for j in jobs)
    print(
        f"  {n} jobs of 20 rows over {len(campaigns)} campaigns, concurrency "
        f"{settings.worker_concurrency}: {n / elapsed:.1f} jobs/s; queued -> start "
        f"p50 {statistics.median(latency) * 1000:.0f} ms, max {latency[-1] * 1000:.0f} ms"
    )


def _at(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def main(rows: int, jobs: int) -> None:
    base = get_settings()
    campaigns = await make_campaigns(base, 4)
    try:
        content = voters_file(rows, "B")
        print(f"voter import through the API: {rows:,} rows, {len(content) / 1e6:.1f} MB")
        for n, runner in enumerate(("inline", "worker")):
            settings = base.model_copy(update={"job_runner": runner})
            _, headers = campaigns[n]
            if runner == "inline":
                await one_import(settings, headers, content)
            else:
                worker = asyncio.create_task(run_worker(settings, install_signal_handlers=False))
                await one_import(settings, headers, content)
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
        print("queue:")
        queue = {"job_runner": "worker", "import_queue_limit": jobs}
        await small_jobs(base.model_copy(update=queue), campaigns, jobs)
    finally:
        await drop_campaigns(base, [cid for cid, _ in campaigns])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=24)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.jobs))
