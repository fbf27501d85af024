"""The `import` drill of `make faults`: a big voter import while phones sync (issue 12).

    make faults BENCH_ARGS="--only import --phones 50"

A voter file of the campaign's every voter, each re-imported with a changed door (the street
spelled in capitals: the same address key, so the same household, with a changed `street`)
and a changed phone number, plus --import-new new voters (`import_voters.synthetic_rows`),
is uploaded through the API (`POST /imports/voters`, as an organizer) and run by a
`doorstep worker` process, while --phones phones keep syncing: each adds a batch of --batch
new results to its outbox and drains it (`faults.drain`), round after round, until the import
has ended and --after seconds more. Their results are the usual mix with `wrong_address`
among the door results (that flags the household: a sync writes doors and people, as the
import does) and `moved` / `do_not_contact` among the people's.

It prints the import's outcome, its run time and rows/s, the syncs' results/s, their answers
by status, batch latency during the import (p50, p95, max) and before, during the upload, the
job and after it, the job's progress as polled, the slowest batch, the lock waits seen (sampled
from pg_locks every quarter second: the longest, its lock and what blocked it), and the
deadlocks of this database (pg_stat_database; the PostgreSQL log's report of each). A problem
fails the drill: the import not `succeeded` at its first run, a sync answered 500 (or any
other error) or not at all, a deadlock. A 503 with Retry-After is the server shedding load,
as designed, when the import's worker and the phones want more than the cores give: counted
and printed, and the phone sends the batch again when told. The exactly-once check is the
one every drill gets.
"""

import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from import_voters import synthetic_rows
from sqlalchemy import text
from walk_list import API, ROOT, percentile, stop_server, sync_batch

from app.config import get_settings
from app.db import make_engine
from app.demo import campaign as demo

PG_LOG = ROOT / ".data" / "postgres.log"  # scripts/localdb.sh starts the cluster with it
# One door result in 8 is a wrong address, as on a day in old turf; one person in 10 moved
# or asked not to be contacted.
DOOR_RESULTS = ("not_home", "wrong_address", "not_home", "refused", "not_home", "come_back",
                "not_home", "inaccessible")  # fmt: skip
PERSON_RESULTS = {3: "moved", 7: "do_not_contact"}  # by n % 10; the others: canvassed

Drain = Callable[[httpx.AsyncClient, list[Any], int, Any, float | None], Awaitable[None]]


@dataclass
class ImportRun:
    job: dict[str, Any]
    rows: int
    megabytes: float
    posted_at: float  # monotonic: the upload began
    queued_at: float  # monotonic: the upload was answered 202 (the job queued)
    ended_at: float  # monotonic: GET /imports/{id} first read a final status
    steps: list[tuple[float, str]]  # monotonic, the job's state as first read


def mixed_batch(payload: dict[str, Any], round_no: int, size: int) -> list[dict[str, Any]]:
    """`walk_list.sync_batch` with the day's mix of results."""
    items = sync_batch(payload, round_no, size)
    for j, item in enumerate(items):
        n = round_no * size + j
        if item.get("person_id") is None:
            item["result"] = DOOR_RESULTS[(n // 2) % len(DOOR_RESULTS)]
        elif (n // 2) % 10 in PERSON_RESULTS:
            item["result"] = PERSON_RESULTS[(n // 2) % 10]
            item.pop("responses", None)
    return items


def write_voter_file(path: Path, new: int) -> tuple[int, float]:
    """The campaign's voters (the demo's, as `walk_list.set_up` imported them), every door and
    person changed, then `new` new voters; the rows written and the file's megabytes."""
    street, phone = demo.COLUMNS.index("street"), demo.COLUMNS.index("phone")
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(demo.COLUMNS)
        for row in demo.voter_rows(demo.CAMBRIDGE / "addresses.csv"):
            row[street] = row[street].upper()  # same door (the key folds case), new spelling
            row[phone] = f"617-556-{rows % 10000:04d}"  # the demo's are 617-555-01xx or none
            writer.writerow(row)
            rows += 1
        for row in synthetic_rows(new, id_prefix="N"):
            row[street] = row[street].upper()
            writer.writerow(row)
            rows += 1
    return rows, path.stat().st_size / 1e6


class Worker:
    """`doorstep worker` as `make run` starts it, in a process of its own."""

    def __init__(self) -> None:
        self.log = Path(tempfile.mkstemp(prefix="faults-worker-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        doorstep = Path(sys.executable).with_name("doorstep")
        env = os.environ | {"DATABASE_URL": get_settings().database_url}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(doorstep), "worker"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        time.sleep(2.0)  # its pools open and it listens; a job queued meanwhile waits for it
        if self.proc.poll() is not None:
            raise RuntimeError(f"the worker exited with {self.proc.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)  # SIGTERM (a job under way finishes first), then SIGKILL

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-5000:] if self.log.exists() else ""


class PgWatch:
    """This database while the drill runs: its lock waits (sampled), its deadlocks (counted in
    pg_stat_database: other databases, a test suite's, have their own), and the log's reports
    of deadlocks by the backends seen here."""

    def __init__(self) -> None:
        self.engine = make_engine(get_settings())
        self.pids: set[int] = set()
        self.waits: dict[tuple[int, datetime], tuple[float, str]] = {}  # longest seen, query
        self.deadlocks_before, self.offset, self.reports = 0, -1, list[str]()

    async def _count(self) -> int:
        async with self.engine.connect() as conn:
            sql = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            return int((await conn.execute(text(sql))).scalar_one())

    async def start(self) -> None:
        self.offset = await asyncio.to_thread(_log_size)
        self.deadlocks_before = await self._count()

    async def sample(self) -> None:
        """The backends of this database, and the lock waits under way (how long so far)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(text(_WAITS))
            for pid, waitstart, seconds, query in rows:
                self.pids.add(pid)
                if waitstart is not None:
                    key = (pid, waitstart)
                    self.waits[key] = max(self.waits.get(key, (0.0, ""))[0], seconds), query

    def lock_waits(self) -> str:
        """The lock waits seen: how many, how many over 1 s, the longest and its statement."""
        if not self.waits:
            return "none seen"
        seconds, query = max(self.waits.values())
        over = sum(1 for s, _ in self.waits.values() if s > 1.0)
        return f"{len(self.waits)} seen, {over} over 1 s, longest {seconds:.1f} s: {query}"

    async def close(self) -> None:
        await self.engine.dispose()

    async def finish(self) -> int:
        """The deadlocks since `start` (their reports from the log in `reports`)."""
        await asyncio.sleep(1.0)  # pending statistics are flushed within a second or so
        self.reports = await asyncio.to_thread(_reports, self.offset, self.pids)
        return await self._count() - self.deadlocks_before


# Sampled every quarter second: a wait is seen when it lasts that long, its length at least.
_WAITS = """
    SELECT a.pid, l.waitstart, extract(epoch FROM clock_timestamp() - l.waitstart)::float8,
           format('%s %s %s by %s', left(regexp_replace(a.query, '\\s+', ' ', 'g'), 40),
                  l.mode, coalesce(l.relation::regclass::text, l.locktype),
                  (SELECT string_agg(left(regexp_replace(b.query, '\\s+', ' ', 'g'), 40), '; ')
                   FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid))))
    FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
    WHERE a.datname = current_database()
"""


def _log_size() -> int:
    return PG_LOG.stat().st_size if PG_LOG.exists() else -1


def _reports(offset: int, pids: set[int]) -> list[str]:
    """The log's deadlock reports (with the lines after them) since `offset`, by `pids`."""
    if offset < 0:
        return ["(PostgreSQL log not readable)"]
    with PG_LOG.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    mine = tuple(f"[{pid}]" for pid in pids)
    return [
        "\n".join(lines[i : i + 8])
        for i, line in enumerate(lines)
        if "deadlock detected" in line and any(p in line for p in mine)
    ]


async def _upload_and_wait(
    base_url: str,
    admin: dict[str, str],
    path: Path,
    file: tuple[int, float],
    watch: PgWatch,
    wait_s: float,
) -> ImportRun:
    async with httpx.AsyncClient(base_url=base_url, headers=admin, timeout=300) as client:
        content = await asyncio.to_thread(path.read_bytes)
        posted_at = time.monotonic()
        response = await client.post(
            f"{API}/imports/voters", files={"file": ("voters.csv", content, "text/csv")}
        )
        if response.status_code != 202:
            raise RuntimeError(f"import upload answered {response.status_code}: {response.text}")
        job_id = response.json()["id"]
        queued_at = time.monotonic()
        print(
            f"  import: {file[0]:,} rows ({file[1]:.1f} MB) uploaded in "
            f"{queued_at - posted_at:.1f} s"
        )
        deadline = posted_at + wait_s
        job: dict[str, Any] = {"status": "timed out"}
        steps: list[tuple[float, str]] = []
        while time.monotonic() < deadline:
            await watch.sample()
            got = await client.get(f"{API}/imports/{job_id}")
            if got.status_code == 200:
                job = got.json()
                step = _step(job)
                if not steps or steps[-1][1] != step:
                    steps.append((time.monotonic(), step))
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
            await asyncio.sleep(0.25)
        else:
            job["status"] = f"not ended after {wait_s:.0f} s ({job['status']})"
    return ImportRun(job, *file, posted_at, queued_at, time.monotonic(), steps)


def _step(job: dict[str, Any]) -> str:
    """The job's state in a word or two: its status, or its stage and rows while it runs."""
    progress = job.get("progress")
    if job["status"] != "running" or not progress:
        return str(job["status"])
    return f"{progress['stage']} {progress['rows_done']:,}"


async def _phone(
    client: httpx.AsyncClient,
    payload: dict[str, Any],
    index: int,
    args: Any,
    drill: Any,
    drain: Drain,
    stop: asyncio.Event,
) -> None:
    """Add a batch of new results to the outbox and drain it, until `stop`."""
    outbox: list[Any] = []
    round_no = index * 100_000
    deadline = time.monotonic() + args.import_timeout + 120
    while not stop.is_set() and time.monotonic() < deadline:
        items = mixed_batch(payload, round_no, args.batch)
        round_no += 1
        drill.sent.update(item["client_id"] for item in items)
        outbox.extend(items)
        await drain(client, outbox, args.batch, drill, deadline)


async def import_drill(
    base_url: str,
    tokens: tuple[str, str],
    payloads: list[dict[str, Any]],
    args: Any,
    drill: Any,
    drain: Drain,
) -> None:
    """Run the drill on `drill` (a `faults.Drill`): phones with the canvasser's token, the
    import with the organizer's; print its figures and add its problems to `drill.problems`."""
    canvasser, admin = ({"Authorization": f"Bearer {t}"} for t in tokens)
    worker, watch = Worker(), PgWatch()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=args.phones)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "voters.csv"
            file = await asyncio.to_thread(write_voter_file, path, args.import_new)
            await asyncio.to_thread(worker.start)
            await watch.start()
            load_before, started = os.getloadavg()[0], time.monotonic()
            async with (
                httpx.AsyncClient(
                    base_url=base_url, headers=canvasser, timeout=60, limits=limits
                ) as client,
                asyncio.TaskGroup() as phones,  # a failure anywhere cancels them all
            ):
                for i in range(args.phones):
                    payload = payloads[i % len(payloads)]
                    phones.create_task(_phone(client, payload, i, args, drill, drain, stop))
                await asyncio.sleep(args.after)
                run = await _upload_and_wait(
                    base_url, admin, path, file, watch, args.import_timeout
                )
                await asyncio.sleep(args.after)
                stop.set()
            seconds = time.monotonic() - started
        deadlocks = await watch.finish()
    except BaseException:
        print(f"--- worker log ---\n{worker.tail()}", file=sys.stderr)
        raise
    finally:
        await watch.close()
        await asyncio.to_thread(worker.stop)
        worker.log.unlink(missing_ok=True)
    _print(run, drill, seconds, watch, deadlocks)
    print(
        f"  {os.cpu_count()} CPUs shared by the phones, uvicorn, the worker and PostgreSQL (and"
        f" whatever else runs); load average before {load_before:.2f}, after"
        f" {os.getloadavg()[0]:.2f}"
    )


def _print(run: ImportRun, drill: Any, seconds: float, watch: PgWatch, deadlocks: int) -> None:
    job, total = run.job, run.ended_at - run.posted_at
    ran = 0.0
    if job.get("started_at") and job.get("finished_at"):
        ran = (
            datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])
        ).total_seconds()
    print(
        f"  import: {job['status']} after {job.get('attempts', '?')} run(s); {run.rows:,} rows "
        f"({run.megabytes:.1f} MB): read {job.get('rows_read', 0):,}, created "
        f"{job.get('created', 0):,}, updated {job.get('updated', 0):,}, rejected "
        f"{job.get('rejected', 0)}; run {ran:.1f} s, {job.get('rows_read', 0) / (ran or 1):,.0f}"
        f" rows/s; upload to end {total:.1f} s"
        + (f"; message: {job['message']}" if job.get("message") else "")
    )
    print(
        f"  sync: {len(drill.sent):,} results in {seconds:.1f} s ({len(drill.sent) / seconds:,.0f}"
        f"/s); {len(drill.batches):,} batches, "
        + ", ".join(f"{k}: {v}" for k, v in sorted(drill.answers.items()))
    )
    print(
        "  the job as polled (s from the upload's start): "
        + ", ".join(f"{at - run.posted_at:+.1f} {step}" for at, step in run.steps)
    )
    print("  batch latency (by when sent):")
    phases = {
        "before": (float("-inf"), run.posted_at),
        "upload": (run.posted_at, run.queued_at),
        "job": (run.queued_at, run.ended_at),
        "after": (run.ended_at, float("inf")),
        "import": (run.posted_at, run.ended_at),  # upload and job: the import's whole time
    }
    for name, (low, high) in phases.items():
        ms = [ms for at, ms, _ in drill.batches if low <= at < high]
        other = Counter(status for at, _, status in drill.batches if low <= at < high)
        del other["200"]
        if ms:
            print(
                f"    {name:<6} {len(ms):>5} batches: p50 {percentile(ms, 50):>5.0f} ms,"
                f" p95 {percentile(ms, 95):>5.0f} ms, max {max(ms):>5.0f} ms"
                + "".join(f", {k}: {v}" for k, v in sorted(other.items()))
            )
    if drill.batches:
        at, ms, status = max(drill.batches, key=lambda b: b[1])
        print(
            f"  slowest batch: {ms:.0f} ms ({status}), sent {at - run.posted_at:+.1f} s from the"
            f" upload's start (import ended at {total:+.1f} s)"
        )
    print(f"  lock waits during the job: {watch.lock_waits()}")
    print(f"  deadlocks in this database (pg_stat_database): {deadlocks}")
    for report in watch.reports:
        print("    " + report.replace("\n", "\n    "))
    if job["status"] != "succeeded":
        drill.problems.append(f"the import ended {job['status']}: {job.get('message')}")
    elif job.get("attempts", 1) > 1:
        drill.problems.append(f"the import succeeded only at run {job['attempts']}")
    errors = {k: v for k, v in drill.answers.items() if k not in ("200", "503")}
    if errors:
        drill.problems.append(f"syncs answered other than 200: {errors}")
    if deadlocks:
        drill.problems.append(f"{deadlocks} deadlock(s) in PostgreSQL")


async def forget_jobs(campaign_id: int) -> None:
    """The campaign's finished jobs in procrastinate's queue (its import_job rows go with it)."""
    engine = make_engine(get_settings())
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "DELETE FROM procrastinate_jobs WHERE (args->>'campaign_id')::bigint = :c"
                    " AND status NOT IN ('todo', 'doing')"
                ),
                {"c": campaign_id},
            )
    finally:
        await engine.dispose()
