"""Fault drills: phones keep syncing while the API process is killed, the database restarts
and the server is stopped; nothing acknowledged may be lost and nothing stored twice.

    make faults
    make faults BENCH_ARGS="--phones 20 --results 400 --only kill"

Sets up a throwaway campaign with the demo data and walk lists (as `make bench-sync` does).
Each phone holds an outbox of --results results, made up front with their client_ids, and
drains it to `POST /sync` in batches of --batch, as the phone app does: an item leaves the
outbox only when the server answered it (`created` or `duplicate`); on a 503 the phone waits
Retry-After, on a connection error or any other 5xx it backs off and sends the same batch
again. The drills, each on a fresh set of phones:

- `kill`: the API process is killed with SIGKILL mid-load and started again 1 s later;
- `database`: PostgreSQL is restarted mid-load (the local cluster under .data/, `pg_ctl
  restart -m fast`); while it is down the API must answer 503, not 500, and recover without
  a restart of its own;
- `sigterm`: the API gets SIGTERM mid-load (graceful shutdown: requests in flight complete,
  no new ones are taken), then starts again;
- `import`: a voter import of the campaign's voters, every door changed, plus --import-new
  new ones, run by a `doorstep worker` while the phones sync (bench/fault_import.py; its
  phones add a batch to their outboxes round after round until the import has ended, instead
  of --results up front): it must succeed at its first run, with no deadlock and no sync
  answered 500 or not at all (503s, load shed with Retry-After, are counted).

Each drill prints the results sent, the answers by status (503s, other 5xx, connection
errors), the time from the fault's end to the first successful sync, and the check of the
database: every result stored exactly once.
"""

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_import import forget_jobs, import_drill
from sync_load import prepare
from walk_list import (
    API,
    ROOT,
    World,
    app_version,
    clean_up,
    free_port,
    login,
    set_up,
    start_server,
    stop_server,
    sync_batch,
)

from app.config import get_settings
from app.db import make_engine


@dataclass
class Drill:
    name: str
    answers: Counter[str] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    fault_ended: float = 0.0
    first_success_after: float | None = None
    batches: list[tuple[float, float, str]] = field(default_factory=list)  # sent at, ms, status
    problems: list[str] = field(default_factory=list)  # what fails the drill beyond the check


def _status(response: httpx.Response) -> str:
    return str(response.status_code)


async def drain(
    client: httpx.AsyncClient,
    outbox: list[Any],
    batch: int,
    drill: Drill,
    deadline: float | None = None,
) -> None:
    """Send the outbox until every item is answered (created or duplicate), or `deadline`
    (monotonic) has passed."""
    backoff = 0.2
    while outbox:
        if deadline is not None and time.monotonic() > deadline:
            raise RuntimeError(f"{len(outbox)} results still unanswered at the deadline")
        items = outbox[:batch]
        sent_at = time.monotonic()
        try:
            response = await client.post(f"{API}/sync", json={"results": items})
        except httpx.TransportError:
            drill.answers["connection error"] += 1
            drill.batches.append((sent_at, (time.monotonic() - sent_at) * 1000, "error"))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
            continue
        drill.answers[_status(response)] += 1
        drill.batches.append((sent_at, (time.monotonic() - sent_at) * 1000, _status(response)))
        if response.status_code == 503:
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            continue
        if response.status_code < 500 and response.status_code != 200:
            raise RuntimeError(f"sync answered {response.status_code}: {response.text[:500]}")
        if response.status_code != 200:
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
            continue
        backoff = 0.2
        if drill.fault_ended and drill.first_success_after is None:
            drill.first_success_after = time.monotonic() - drill.fault_ended
        answered = {
            item["client_id"]
            for item, result in zip(items, response.json()["results"], strict=True)
            if result["status"] in ("created", "duplicate")
        }
        rejected = len(items) - len(answered)
        if rejected:
            raise RuntimeError(f"{rejected} results rejected: {response.text[:500]}")
        outbox[:] = [item for item in outbox if item["client_id"] not in answered]


def _outboxes(
    payloads: list[dict[str, Any]], phones: int, results: int, drill: Drill
) -> list[list[Any]]:
    outboxes = []
    for phone in range(phones):
        payload = payloads[phone % len(payloads)]
        items = sync_batch(payload, phone * 1000, results)
        drill.sent.update(item["client_id"] for item in items)
        outboxes.append(items)
    return outboxes


async def _phones(base_url: str, token: str, outboxes: list[list[Any]], args: Any, drill: Drill):
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=len(outboxes))
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits
    ) as client:
        await asyncio.gather(*(drain(client, box, args.batch, drill) for box in outboxes))


def _pg_ctl() -> list[str]:
    """pg_ctl of the local cluster, run as its owner."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    pg_ctl = next((str(d / "pg_ctl") for d in bindirs if (d / "pg_ctl").exists()), "pg_ctl")
    command = [pg_ctl, "-D", str(ROOT / ".data" / "pg"), "-w", "-t", "60"]
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


class Server:
    """The API under test, restartable on the same port."""

    def __init__(self, workers: int) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = Path(tempfile.mkstemp(prefix="faults-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_server(self.port, self.log, workers=self.workers)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)

    async def signal(self, sig: int) -> None:
        """Send `sig` and wait for the process to end (the phones go on meanwhile)."""
        assert self.proc is not None
        os.kill(self.proc.pid, sig)
        await asyncio.to_thread(self.proc.wait, 60)


async def _fault(name: str, server: Server, drill: Drill, after_s: float) -> None:
    await asyncio.sleep(after_s)
    if name == "kill":
        await server.signal(signal.SIGKILL)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(server.start)
    elif name == "sigterm":
        await server.signal(signal.SIGTERM)
        await asyncio.to_thread(server.start)
    elif name == "database":
        await asyncio.to_thread(subprocess.run, [*_pg_ctl(), "restart", "-m", "fast"], check=True)
    drill.fault_ended = time.monotonic()


async def run_drill(
    name: str, server: Server, tokens: tuple[str, str], payloads: list[dict[str, Any]], args: Any
) -> Drill:
    drill = Drill(name)
    token = tokens[0]
    if name == "import":
        await import_drill(server.url, tokens, payloads, args, drill, drain)
        return drill
    outboxes = _outboxes(payloads, args.phones, args.results, drill)
    started = time.monotonic()
    await asyncio.gather(
        _phones(server.url, token, outboxes, args, drill), _fault(name, server, drill, args.after)
    )
    print(f"  {name}: drained in {time.monotonic() - started:.1f} s")
    return drill


async def stored_counts(campaign_id: int) -> dict[str, int]:
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
            return {client_id: n for client_id, n in rows}
    finally:
        await engine.dispose()


def report(drills: list[Drill], stored: dict[str, int]) -> bool:
    ok = True
    print()
    head = f"{'drill':<9} {'results':>7} {'lost':>5} {'twice':>5} {'recovered in':>12}  answers"
    print(head)
    print("-" * (len(head) + 40))
    for d in drills:
        lost = sum(1 for c in d.sent if c not in stored)
        twice = sum(1 for c in d.sent if stored.get(c, 0) > 1)
        ok = ok and not lost and not twice and "500" not in d.answers and not d.problems
        recovered = f"{d.first_success_after:.2f} s" if d.first_success_after is not None else "-"
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(d.answers.items()))
        print(f"{d.name:<9} {len(d.sent):>7} {lost:>5} {twice:>5} {recovered:>12}  {answers}")
    print("(recovered in: from the end of the fault to the first sync answered 200)")
    for d in drills:
        for problem in d.problems:
            print(f"{d.name}: {problem}")
    return ok


def run(args: argparse.Namespace) -> None:
    # one signing key for every start of the server, or its tokens die with each restart
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    world = World(slug=f"faults-{int(time.time())}")
    server = Server(args.workers)
    print(f"app: {app_version()}")
    try:
        asyncio.run(set_up(world, 1, args.doors))
        server.start()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            token, payloads, _ = prepare(client, world, args.lists)
            admin = login(client, world.admin, world.slug)["Authorization"].split()[1]
        tokens = (token, admin)
        drills = [
            asyncio.run(run_drill(name, server, tokens, payloads, args)) for name in args.only
        ]
        assert world.campaign_id is not None
        ok = report(drills, asyncio.run(stored_counts(world.campaign_id)))
        if not ok:
            raise SystemExit("a drill lost results, stored some twice, answered 500 or failed")
    except BaseException:
        if server.log.exists() and server.log.stat().st_size:
            print(f"--- uvicorn log ---\n{server.log.read_text()[-5000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()
        if world.campaign_id is not None and "import" in args.only:
            asyncio.run(forget_jobs(world.campaign_id))
        asyncio.run(clean_up(world))
        server.log.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--results", type=int, default=300, help="results in each outbox")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--after", type=float, default=2.0, help="seconds before the fault")
    parser.add_argument("--lists", type=int, default=5)
    parser.add_argument("--doors", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--import-new", type=int, default=100_000, help="new voters (import)")
    parser.add_argument("--import-timeout", type=float, default=600.0, help="seconds (import)")
    parser.add_argument(
        "--only",
        type=lambda v: v.split(","),
        default=["kill", "database", "sigterm", "import"],
        help="drills to run, comma-separated: kill, database, sigterm, import",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
