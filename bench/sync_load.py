"""Canvass-day load: simulated phones flush their outboxes while volunteers open their lists.

    make bench-sync
    make bench-sync BENCH_ARGS="--phones 10,50,200 --batch 20,100 --seconds 15 --workers 2"

Sets up a throwaway campaign with the demo data (as `make bench-walk-list` does), builds
--lists walk lists on a drawn turf of about --doors doors, all assigned to one canvasser, and
starts uvicorn with --workers processes. Then, for each number of phones and each batch size:

- every phone (an asyncio task with its own connection) sends batches of new results to
  `POST /sync` for its list (phone i syncs list i mod --lists, so phones share lists and
  people), back to back, for --seconds; a share of batches (--retry-share) is sent again at
  once, as a phone that lost the answer would, and must come back all `duplicate`; a 503 is
  honoured (its Retry-After, then the same batch again), as the phone app does;
- meanwhile one reader opens the lists being synced (`GET /walk_lists/{id}`, 200: their
  ETags change with every batch) and checks a quiet list of another precinct
  (`If-None-Match`, 304), in turns, as volunteers starting their shift do.

Printed per run: results stored per second, batch latency p50/p95/max, the reader's GET and
304 latencies, 503s (load shed) and any other 5xx. Afterwards the database is checked: every
result a phone got `created` or `duplicate` for is stored exactly once (lost: 0, duplicated:
0). Client, server and PostgreSQL share this machine's cores; the load average is printed.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from walk_list import (
    API,
    EVERYONE,
    World,
    app_version,
    check,
    clean_up,
    free_port,
    percentile,
    set_up,
    start_server,
    stop_server,
    survey_body,
    sync_batch,
)

from app.config import get_settings
from app.db import make_engine

TARGETS = {100: 5000.0, 20: 3000.0}  # results/s at 50 phones, by batch size (issue 12)


@dataclass
class Run:
    phones: int
    batch: int
    seconds: float = 0.0
    batch_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    not_modified_ms: list[float] = field(default_factory=list)
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    shed: int = 0  # 503 answers
    errors: int = 0  # any other 5xx, or a transport error
    acknowledged: set[str] = field(default_factory=set)  # client_ids answered created/duplicate


async def _post_batch(client: httpx.AsyncClient, items: list[Any], run: Run) -> list[Any] | None:
    """Send one batch until it is answered (503: wait as told and send it again)."""
    while True:
        started = time.perf_counter()
        try:
            response = await client.post(f"{API}/sync", json={"results": items})
        except httpx.TransportError:
            run.errors += 1
            await asyncio.sleep(0.5)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 503:
            run.shed += 1
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            continue
        if response.status_code >= 500:
            run.errors += 1
            await asyncio.sleep(0.5)
            continue
        run.batch_ms.append(elapsed)
        results: list[Any] = check(response, 200)["results"]
        return results


async def _phone(
    client: httpx.AsyncClient, payload: dict[str, Any], index: int, run: Run, args: Any
) -> None:
    deadline = time.monotonic() + args.seconds
    round_no = index * 100_000  # each phone its own client_ids and people order
    while time.monotonic() < deadline:
        items = sync_batch(payload, round_no, run.batch)
        round_no += 1
        results = await _post_batch(client, items, run)
        if results is None:
            continue
        for item, result in zip(items, results, strict=True):
            if result["status"] == "rejected":
                run.rejected += 1
                continue
            run.created += result["status"] == "created"
            run.duplicates += result["status"] == "duplicate"
            run.acknowledged.add(item["client_id"])
        if (round_no * 7919) % 100 < args.retry_share * 100:
            run.retries += 1
            again = await _post_batch(client, items, run)
            if again and any(r["status"] != "duplicate" for r in again):
                raise RuntimeError("a re-sent batch was not answered all duplicate")


async def _reader(
    client: httpx.AsyncClient, busy: list[int], quiet: int, run: Run, stop: asyncio.Event
) -> None:
    etag = ""
    turn = 0
    while not stop.is_set():
        turn += 1
        if turn % 2:
            list_id, headers = busy[turn % len(busy)], {}
        else:
            list_id, headers = quiet, {"If-None-Match": etag}
        started = time.perf_counter()
        response = await client.get(f"{API}/walk_lists/{list_id}", headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 304:
            run.not_modified_ms.append(elapsed)
        elif response.status_code == 200:
            run.get_ms.append(elapsed)
            if list_id == quiet:
                etag = response.headers["etag"]
        elif response.status_code == 503:
            run.shed += 1
        else:
            run.errors += 1
        await asyncio.sleep(0.05)


async def measure_run(
    base_url: str, token: str, payloads: list[dict[str, Any]], quiet: int, run: Run, args: Any
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    limits = httpx.Limits(max_connections=run.phones + 1, max_keepalive_connections=run.phones + 1)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=120, limits=limits
    ) as client:
        stop = asyncio.Event()
        busy = [p["id"] for p in payloads]
        reader = asyncio.create_task(_reader(client, busy, quiet, run, stop))
        started = time.perf_counter()
        await asyncio.gather(
            *(_phone(client, payloads[i % len(payloads)], i, run, args) for i in range(run.phones))
        )
        run.seconds = time.perf_counter() - started
        stop.set()
        await reader


async def stored_once(campaign_id: int, acknowledged: set[str]) -> tuple[int, int]:
    """(lost, duplicated): acknowledged results missing from the database, and client_ids
    stored more than once."""
    engine = make_engine(get_settings())
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT client_id::text, count(*) FROM contact"
                    " WHERE campaign_id = :c AND client_id IS NOT NULL GROUP BY client_id"
                ),
                {"c": campaign_id},
            )
            stored = {client_id: n for client_id, n in rows}
    finally:
        await engine.dispose()
    lost = sum(1 for c in acknowledged if c not in stored)
    duplicated = sum(1 for n in stored.values() if n > 1)
    return lost, duplicated


def prepare(
    client: httpx.Client, world: World, lists: int
) -> tuple[str, list[dict[str, Any]], int]:
    """Survey, a drawn turf, `lists` walk lists on it assigned to the canvasser, and a quiet
    list on a precinct of its own: the canvasser's token, the lists' payloads, the quiet
    list's id."""

    def login(email: str) -> dict[str, str]:
        form = {"username": email, "password": "bench-password", "campaign": world.slug}
        token = check(client.post(f"{API}/auth/token", data=form), 200)["access_token"]
        return {"Authorization": f"Bearer {token}"}

    admin, canvasser = login(world.admin), login(world.canvasser)
    canvasser_id = check(client.get(f"{API}/me", headers=canvasser), 200)["user"]["id"]
    survey = check(client.post(f"{API}/surveys", json=survey_body(), headers=admin), 201)
    turf = check(
        client.post(
            f"{API}/turfs", json={"name": "Load", "geometry": world.small_area}, headers=admin
        ),
        201,
    )
    body = {"turf_id": turf["id"], "survey_id": survey["id"], "filters": EVERYONE}
    payloads = []
    for _ in range(lists):
        built = check(client.post(f"{API}/walk_lists", json=body, headers=admin), 201)
        url = f"{API}/walk_lists/{built['id']}"
        assign = {"user_ids": [canvasser_id]}
        check(client.post(f"{url}/assignments", json=assign, headers=admin), 200)
        payloads.append(check(client.get(url, headers=canvasser), 200))
    precinct_ids = [i for i, _, _ in world.big_precincts]
    area = {"name": "Quiet", "precinct_ids": precinct_ids}
    quiet_turf = check(client.post(f"{API}/turfs", json=area, headers=admin), 201)
    body = {"turf_id": quiet_turf["id"], "survey_id": survey["id"], "filters": EVERYONE}
    quiet = check(client.post(f"{API}/walk_lists", json=body, headers=admin), 201)["id"]
    check(client.post(f"{API}/walk_lists/{quiet}/assignments", json=assign, headers=admin), 200)
    return canvasser["Authorization"].removeprefix("Bearer "), payloads, quiet


def print_runs(runs: list[Run]) -> None:
    head = (
        f"{'phones':>6} {'batch':>5} {'results/s':>9} {'batch p50':>9} {'p95':>7} {'max':>7}"
        f" {'GET p50':>8} {'p95':>6} {'304 p50':>8} {'p95':>6} {'re-sent':>7} {'503':>5}"
        f" {'5xx':>4}  target"
    )
    print()
    print(head)
    print("-" * (len(head) + 20))
    for r in runs:
        rate = r.created / r.seconds if r.seconds else 0.0
        target = TARGETS.get(r.batch) if r.phones == 50 else None
        verdict = f">= {target:,.0f}/s {'ok' if rate >= target else 'MISSED'}" if target else ""

        def pct(values: list[float], q: float) -> str:
            return f"{percentile(values, q):.0f}" if values else "-"

        print(
            f"{r.phones:>6} {r.batch:>5} {rate:>9,.0f} {pct(r.batch_ms, 50):>9}"
            f" {pct(r.batch_ms, 95):>7} {max(r.batch_ms, default=0):>7.0f}"
            f" {pct(r.get_ms, 50):>8} {pct(r.get_ms, 95):>6}"
            f" {pct(r.not_modified_ms, 50):>8} {pct(r.not_modified_ms, 95):>6}"
            f" {r.retries:>7} {r.shed:>5} {r.errors:>4}  {verdict}"
        )
    print("(latencies in ms; results/s counts results stored, re-sent batches excluded)")


def run(args: argparse.Namespace) -> None:
    world = World(slug=f"bench-sync-{int(time.time())}")
    proc = None
    log = Path(tempfile.mkstemp(prefix="bench-sync-", suffix=".log")[1])
    load_before = os.getloadavg()[0]
    print(f"app: {app_version()}")
    try:
        asyncio.run(set_up(world, 1, args.doors))  # 1: the quiet list's precinct
        port = free_port()
        proc = start_server(port, log, workers=args.workers)
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, timeout=120) as client:
            token, payloads, quiet = prepare(client, world, args.lists)
        people = sum(len(s["people"]) for s in payloads[0]["stops"])
        print(
            f"{args.lists} lists of {len(payloads[0]['stops'])} doors, {people} people each;"
            f" uvicorn with {args.workers} worker(s); {args.seconds:.0f} s per run"
        )
        runs: list[Run] = []
        for phones in args.phones:
            for batch in args.batch:
                current = Run(phones, batch)
                asyncio.run(measure_run(base_url, token, payloads, quiet, current, args))
                runs.append(current)
                print(f"  {phones} phones x {batch}: {current.created / current.seconds:,.0f}/s")
        print_runs(runs)
        acknowledged = set().union(*(r.acknowledged for r in runs))
        assert world.campaign_id is not None
        lost, duplicated = asyncio.run(stored_once(world.campaign_id, acknowledged))
        print(
            f"acknowledged results: {len(acknowledged):,}; lost: {lost}; stored twice: {duplicated}"
        )
        print(
            f"{os.cpu_count()} CPUs shared by the phones, uvicorn and PostgreSQL; load average "
            f"before {load_before:.2f}, after {os.getloadavg()[0]:.2f}"
        )
        if lost or duplicated:
            raise SystemExit("results were lost or stored twice")
    except BaseException:
        if log.exists() and log.stat().st_size:
            print(f"--- uvicorn log ---\n{log.read_text()[-5000:]}", file=sys.stderr)
        raise
    finally:
        if proc is not None:
            stop_server(proc)
        asyncio.run(clean_up(world))
        log.unlink(missing_ok=True)


def _numbers(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phones", type=_numbers, default=[10, 50, 200], help="e.g. 10,50,200")
    parser.add_argument("--batch", type=_numbers, default=[100, 20], help="items per batch")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run")
    parser.add_argument("--lists", type=int, default=10)
    parser.add_argument("--doors", type=int, default=300, help="doors on each list (about)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--retry-share", type=float, default=0.05, help="batches sent twice")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
