"""Walk-list latencies against the real app: a real uvicorn server, real HTTP, real PostGIS.

    make bench-walk-list
    make bench-walk-list BENCH_ARGS="--doors 3000 --build-runs 10 --sync-requests 50"

Sets up a throwaway campaign with the demo data (Cambridge precincts and the synthetic voters,
loaded through the real import path), starts `uvicorn app.main:create_app --factory` on a free
port, then measures over HTTP (httpx, one connection kept alive):

1. `POST /walk_lists` on a turf of whole precincts holding about --doors households (5,000),
   with every resident targeted (`not_contacted_days: 0`, `include_volunteers: true`):
   p50/p95/max of the end-to-end build. Target < 1 s.
2. `GET /walk_lists/{id}` of a list of about --small-doors doors (60; a drawn polygon around
   the doors nearest the city's centre, or a precinct's if flats make that jump), as the
   assigned canvasser, warm, with `Accept-Encoding: gzip`: p50/p95, and the payload's size
   raw and gzipped. Target p95 < 30 ms.
3. `POST /sync` of --sync-items results (100) on that list, new client_ids every request: half
   door-level `not_home`, half person-level `canvassed` with answers to every survey question:
   p50/p95. Target p95 < 150 ms.

The tables are ANALYZEd after the import, after the big builds and after the sync warm-ups,
as autovacuum would within a minute or so; `--no-analyze` measures the state right after the
writes instead (stale statistics: a new campaign looks empty to the planner, and an empty
`contact` table gets foreign-key checks planned as sequential scans). Client, server and
PostgreSQL share this machine's cores, so the figures include that contention, and anything
else running (the load average is printed). The campaign, its users and everything they made
are deleted afterwards and the server is stopped, also when a step fails.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.demo import campaign as demo
from app.models import Role
from app.schemas.users import UserCreate
from app.services.access.tenancy import Tenant
from app.services.access.users import create_campaign, create_user
from app.services.geography.precincts import import_precincts
from app.services.voter_file.importer import import_voters

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1"
PASSWORD = "bench-password"
EVERYONE = {"not_contacted_days": 0, "include_volunteers": True}

TARGET_BUILD_MS = 1000.0
TARGET_GET_P95_MS = 30.0
TARGET_SYNC_P95_MS = 150.0


@dataclass
class World:
    """The throwaway campaign and what the HTTP part needs from the set-up."""

    slug: str
    campaign_id: int | None = None
    emails: list[str] = field(default_factory=list)
    big_precincts: list[tuple[int, str, int]] = field(default_factory=list)  # id, code, doors
    small_area: dict[str, Any] | None = None
    small_area_doors: int = 0
    people: int = 0
    households: int = 0

    @property
    def admin(self) -> str:
        return f"{self.slug}-admin@bench.test"

    @property
    def canvasser(self) -> str:
        return f"{self.slug}-canvasser@bench.test"


@dataclass
class Row:
    label: str
    samples_ms: list[float]
    target: str
    ok: bool | None


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ---------------------------------------------------------------- set-up and clean-up (services)


async def _small_area(
    session: AsyncSession, campaign_id: int, doors: int
) -> tuple[dict[str, Any], int]:
    """A drawn polygon around about `doors` households: the convex hull of the k doors nearest
    a centre, grown by 2 m so GeoJSON rounding keeps its corners in, k found by bisection.
    Flats share a point, so a hull can jump past `doors`: the centres tried are the campaign's
    centroid, then each precinct's, until one lands within 5%; else the closest is kept."""
    centres = (
        await session.execute(
            text(
                """
                SELECT ST_X(c) AS lon, ST_Y(c) AS lat FROM (
                    SELECT 0 AS o, '' AS code, ST_Centroid(ST_Collect(geom)) AS c
                    FROM household WHERE campaign_id = :cid AND geom IS NOT NULL
                    UNION ALL
                    SELECT 1, code, ST_PointOnSurface(geom) FROM precinct WHERE campaign_id = :cid
                ) x ORDER BY o, code
                """
            ),
            {"cid": campaign_id},
        )
    ).all()
    sql = text(
        """
        WITH near AS (
            SELECT geom FROM household
            WHERE campaign_id = :cid AND geom IS NOT NULL
            ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :k
        ), area AS (
            SELECT ST_Buffer(ST_ConvexHull(ST_Collect(geom))::geography, 2)::geometry AS g
            FROM near
        )
        SELECT ST_AsGeoJSON(area.g, 7) AS geojson,
               (SELECT count(*) FROM household h
                WHERE h.campaign_id = :cid AND ST_Covers(area.g, h.geom)) AS doors
        FROM area
        """
    )
    best: tuple[dict[str, Any], int] | None = None
    for centre in centres:
        params = {"cid": campaign_id, "lon": centre.lon, "lat": centre.lat}
        low, high = 3, 4 * doors
        while low <= high:
            k = (low + high) // 2
            row = (await session.execute(sql, params | {"k": k})).one()
            if best is None or abs(row.doors - doors) < abs(best[1] - doors):
                best = json.loads(row.geojson), row.doors
            if row.doors == doors:
                break
            if row.doors < doors:
                low = k + 1
            else:
                high = k - 1
        if best is not None and abs(best[1] - doors) <= doors * 0.05:
            break
    assert best is not None
    return best


async def set_up(world: World, doors: int, small_doors: int) -> None:
    """Campaign, admin and canvasser, demo precincts and voters through the real import path."""
    engine = make_engine(get_settings())
    factory = make_sessionmaker(engine)
    try:
        async with session_scope(factory) as session:
            campaign = await create_campaign(
                session, "Walk-list benchmark", world.slug, world.admin, PASSWORD
            )
            world.campaign_id = campaign.id
            world.emails.append(world.admin)
        tenant = Tenant(campaign_id=campaign.id, user_id=None, role=Role.admin)  # type: ignore[arg-type]
        async with session_scope(factory) as session:
            await create_user(
                session,
                tenant,
                UserCreate(
                    email=world.canvasser, name="Bench Canvasser", role=Role.canvasser,
                    password=PASSWORD,
                ),
            )  # fmt: skip
            world.emails.append(world.canvasser)
            await import_precincts(
                session, tenant, demo.precinct_features(), "WardPrecinct", "name"
            )
        with tempfile.TemporaryDirectory() as tmp:
            rows = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv")
            path = demo.write_voter_csv(Path(tmp) / "voters.csv", rows)
            async with session_scope(factory) as session:
                with path.open("rb") as stream:
                    await import_voters(session, tenant, stream)
                # The demo's ~2% volunteers and ~1% do-not-contact (left out of every list).
                await demo._mark_supporters(session, tenant.campaign_id)
        async with session_scope(factory) as session:
            cid = {"cid": campaign.id}
            world.people, world.households = (
                await session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM person WHERE campaign_id = :cid),"
                        " (SELECT count(*) FROM household WHERE campaign_id = :cid)"
                    ),
                    cid,
                )
            ).one()
            counts = (
                await session.execute(
                    text(
                        """
                        SELECT p.id, p.code, count(h.id) AS doors FROM precinct p
                        LEFT JOIN household h
                            ON h.campaign_id = p.campaign_id AND h.precinct_id = p.id
                        WHERE p.campaign_id = :cid GROUP BY p.id, p.code
                        """
                    ),
                    cid,
                )
            ).all()
            # Whole precincts in ward order (neighbours) until the turf holds `doors` doors.
            ordered = sorted(counts, key=lambda r: tuple(int(x) for x in r.code.split("-")))
            total = 0
            for row in ordered:
                if total >= doors:
                    break
                world.big_precincts.append((row.id, row.code, row.doors))
                total += row.doors
            world.small_area, world.small_area_doors = await _small_area(
                session, campaign.id, small_doors
            )
    finally:
        await engine.dispose()


async def analyze(tables: tuple[str, ...]) -> None:
    """Fresh statistics, as autovacuum would give them a minute or so after a big write.
    Without them the planner still believes a just-imported campaign holds about one person
    (see --no-analyze)."""
    engine = make_engine(get_settings())
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                await conn.execute(text(f"ANALYZE {table}"))
    finally:
        await engine.dispose()


async def clean_up(world: World) -> None:
    """Delete the campaign and its users: lists and contacts first, then a VACUUM of their
    tables, then people, doors and precincts, then the campaign (its cascade takes the rest).
    Deleting a person or a door looks for walk_list_target and contact rows pointing at it by
    (campaign_id, person_id | household_id), which no index leads with, so each check walks the
    campaign's entries, dead ones included: without the VACUUM that takes minutes."""
    engine = make_engine(get_settings())
    factory = make_sessionmaker(engine)
    try:
        if world.campaign_id is not None:
            cid = {"c": world.campaign_id}
            async with session_scope(factory) as session:
                for table in ("walk_list", "contact"):
                    await session.execute(text(f"DELETE FROM {table} WHERE campaign_id = :c"), cid)
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(
                    text("VACUUM walk_list_target, contact, contact_target, contact_response")
                )
            async with session_scope(factory) as session:
                for table in ("person", "household", "precinct"):
                    await session.execute(text(f"DELETE FROM {table} WHERE campaign_id = :c"), cid)
                await session.execute(text("DELETE FROM campaign WHERE id = :c"), cid)
        async with session_scope(factory) as session:
            await session.execute(
                text("DELETE FROM app_user WHERE email = ANY(:emails)"),
                {"emails": [world.admin, world.canvasser]},
            )
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------- the server


def app_version() -> str:
    """The commit measured, and whether app/ or alembic/ had uncommitted changes."""
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "app", "alembic"], capture_output=True
        )
    except OSError:
        return "unknown (no git)"
    changed = len(dirty.stdout.splitlines())
    suffix = f" + uncommitted changes in {changed} files of app/ and alembic/" if changed else ""
    return head.stdout.decode().strip() + suffix


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    """uvicorn as `make run` starts it, with `workers` processes, without the per-request
    access log."""
    settings = get_settings()
    # One key for all the processes (in development each would otherwise make its own, and a
    # token signed by one would be refused by the others).
    env = os.environ | {"DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key}
    cmd = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        "--workers", str(workers),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"uvicorn did not answer within 60 s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------- HTTP helpers


def check(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}, expected {status}: {response.text[:2000]}"
        )
    return response.json() if response.content else None


def login(client: httpx.Client, email: str, slug: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD, "campaign": slug}
    token = check(client.post(f"{API}/auth/token", data=form), 200)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def timed(send: Callable[[], httpx.Response], status: int) -> float:
    started = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - started) * 1000
    check(response, status)
    return elapsed


def survey_body() -> dict[str, Any]:
    """A door script with every kind of question; the options write into profiles."""
    support = [
        {"label": f"{n} - {label}", "code": str(n), "effects": {"set": {"support_level": n}}}
        for n, label in enumerate(
            ["Strong yes", "Lean yes", "Undecided", "Lean no", "Strong no"], 1
        )
    ]
    return {
        "name": "Bench door script",
        "questions": [
            {"prompt": "Will you support Jane?", "kind": "single_choice", "options": support},
            {"prompt": "Volunteer?", "kind": "single_choice", "options": [
                {"label": "Yes", "code": "Y", "effects": {"set": {"is_volunteer": True},
                                                          "tags_add": ["volunteer-lead"]}},
                {"label": "No", "code": "N", "effects": {"set": {"is_volunteer": False},
                                                         "tags_remove": ["volunteer-lead"]}},
            ]},
            {"prompt": "Issues?", "kind": "multiple_choice", "options": [
                {"label": "Housing", "code": "H", "effects": {"set": {"custom:housing": True}}},
                {"label": "Transit", "code": "T"},
                {"label": "Schools", "code": "S"},
            ]},
            {"prompt": "Top issue in your words", "kind": "text",
             "profile_field": "custom:top_issue"},
            {"prompt": "Years at this address", "kind": "number"},
        ],
    }  # fmt: skip


def sync_batch(payload: dict[str, Any], round_no: int, size: int) -> list[dict[str, Any]]:
    """`size` new results on the list: even items a door not home, odd items a person
    canvassed with an answer to every question (options varying with the round)."""
    questions = payload["survey"]["questions"]
    stops = payload["stops"]
    people = [(s, p) for s in stops for p in s["people"]]
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    for j in range(size):
        n = round_no * size + j
        base = {
            "client_id": str(uuid.uuid4()),
            "walk_list_id": payload["id"],
            "knocked_at": (now - timedelta(seconds=size - j)).isoformat(),
        }
        if j % 2 == 0:
            stop = stops[(n // 2) % len(stops)]
            items.append(base | {"household_id": stop["household_id"], "result": "not_home"})
            continue
        stop, person = people[(n // 2) % len(people)]
        responses: list[dict[str, Any]] = []
        for q in questions:
            options = [o["id"] for o in q["options"]]
            if q["kind"] == "single_choice":
                pick = [options[n % len(options)]]
                responses.append({"question_id": q["id"], "option_ids": pick})
            elif q["kind"] == "multiple_choice":
                responses.append({"question_id": q["id"], "option_ids": options[: 1 + n % 2]})
            elif q["kind"] == "text":
                responses.append({"question_id": q["id"], "text": f"Bike lanes ({n})"})
            else:
                responses.append({"question_id": q["id"], "number": n % 30})
        items.append(
            base
            | {
                "household_id": stop["household_id"],
                "person_id": person["id"],
                "result": "canvassed",
                "responses": responses,
                "note": "Friendly",
                "location": {"lon": stop["lon"] or -71.1, "lat": stop["lat"] or 42.37},
            }
        )
    return items


# ---------------------------------------------------------------------------- the measurements


def measure(client: httpx.Client, world: World, args: argparse.Namespace) -> list[Row]:
    admin = login(client, world.admin, world.slug)
    canvasser = login(client, world.canvasser, world.slug)
    me = check(client.get(f"{API}/me", headers=canvasser), 200)
    canvasser_id = me["user"]["id"]
    survey = check(client.post(f"{API}/surveys", json=survey_body(), headers=admin), 201)
    rows: list[Row] = []

    # 1. Build over ~5,000 doors.
    codes = ", ".join(code for _, code, _ in world.big_precincts)
    big_turf = check(
        client.post(
            f"{API}/turfs",
            json={"name": "Big turf", "precinct_ids": [i for i, _, _ in world.big_precincts]},
            headers=admin,
        ),
        201,
    )
    print(
        f"big turf: precincts {codes}: {big_turf['household_count']:,} doors, "
        f"{big_turf['person_count']:,} people"
    )
    body = {"turf_id": big_turf["id"], "survey_id": survey["id"], "filters": EVERYONE}
    builds: list[float] = []
    summary: dict[str, Any] = {}
    for run in range(args.build_runs):
        started = time.perf_counter()
        response = client.post(f"{API}/walk_lists", json=body, headers=admin)
        builds.append((time.perf_counter() - started) * 1000)
        summary = check(response, 201)
        print(f"  build run {run + 1}: {builds[-1]:7.1f} ms")
    print(
        f"big list: {summary['door_count']:,} doors, {summary['person_count']:,} people "
        f"(lines) per build"
    )
    rows.append(
        Row(
            f"POST /walk_lists ({summary['door_count']:,} doors, "
            f"{summary['person_count']:,} people)",
            builds,
            f"< {TARGET_BUILD_MS:.0f} ms (max)",
            max(builds) < TARGET_BUILD_MS,
        )
    )

    if args.analyze:
        asyncio.run(analyze(("walk_list_target",)))

    # 2. The phone payload of a ~60-door list.
    small_turf = check(
        client.post(
            f"{API}/turfs", json={"name": "Small turf", "geometry": world.small_area}, headers=admin
        ),
        201,
    )
    small = check(
        client.post(
            f"{API}/walk_lists",
            json={"turf_id": small_turf["id"], "survey_id": survey["id"], "filters": EVERYONE},
            headers=admin,
        ),
        201,
    )
    url = f"{API}/walk_lists/{small['id']}"
    check(client.post(f"{url}/assignments", json={"user_ids": [canvasser_id]}, headers=admin), 200)
    print(
        f"small list: drawn polygon around {small_turf['household_count']} doors; "
        f"list {small['door_count']} doors, {small['person_count']} people"
    )
    gzip_headers = canvasser | {"Accept-Encoding": "gzip"}
    identity_headers = canvasser | {"Accept-Encoding": "identity"}
    plain = client.get(url, headers=identity_headers)
    check(plain, 200)
    zipped = client.get(url, headers=gzip_headers)
    payload = check(zipped, 200)
    raw_bytes = len(plain.content)
    wire_bytes = zipped.num_bytes_downloaded
    encoding = zipped.headers.get("content-encoding", "none")
    print(
        f"payload: {raw_bytes:,} bytes raw; with Accept-Encoding: gzip {wire_bytes:,} bytes "
        f"on the wire (Content-Encoding: {encoding}), {len(zipped.content):,} decompressed"
    )
    for _ in range(args.get_warmup):
        check(client.get(url, headers=gzip_headers), 200)
    gets = [
        timed(lambda: client.get(url, headers=gzip_headers), 200) for _ in range(args.get_requests)
    ]
    rows.append(
        Row(
            f"GET /walk_lists/{{id}} gzip ({small['door_count']} doors, {wire_bytes:,} B)",
            gets,
            f"p95 < {TARGET_GET_P95_MS:.0f} ms",
            percentile(gets, 95) < TARGET_GET_P95_MS,
        )
    )
    plain_gets = [
        timed(lambda: client.get(url, headers=identity_headers), 200)
        for _ in range(args.get_requests)
    ]
    rows.append(Row(f"GET /walk_lists/{{id}} identity ({raw_bytes:,} B)", plain_gets, "", None))
    etag_headers = gzip_headers | {"If-None-Match": zipped.headers["etag"]}
    not_modified = [
        timed(lambda: client.get(url, headers=etag_headers), 304) for _ in range(args.get_requests)
    ]
    rows.append(Row("GET /walk_lists/{id} If-None-Match (304)", not_modified, "", None))

    # 3. Sync batches on that list.
    def send(round_no: int) -> float:
        batch = {"results": sync_batch(payload, round_no, args.sync_items)}
        started = time.perf_counter()
        response = client.post(f"{API}/sync", json=batch, headers=canvasser)
        elapsed = (time.perf_counter() - started) * 1000
        results = check(response, 200)["results"]
        bad = [r for r in results if r["status"] != "created"]
        if bad:
            raise RuntimeError(f"sync round {round_no}: {len(bad)} not created, e.g. {bad[0]}")
        return elapsed

    for round_no in range(args.sync_warmup):
        send(round_no)
    if args.analyze:
        # The contact tables held next to nothing when the server's foreign-key checks were
        # planned (cached per connection until the statistics change): a sequential scan of
        # `contact` per inserted answer, ever slower as the benchmark adds 10,000 contacts.
        asyncio.run(analyze(("contact", "contact_target", "contact_response")))
    syncs = [send(args.sync_warmup + i) for i in range(args.sync_requests)]
    rows.append(
        Row(
            f"POST /sync ({args.sync_items} items: {args.sync_items // 2} not_home door, "
            f"{args.sync_items - args.sync_items // 2} canvassed + answers)",
            syncs,
            f"p95 < {TARGET_SYNC_P95_MS:.0f} ms",
            percentile(syncs, 95) < TARGET_SYNC_P95_MS,
        )
    )
    return rows


def print_table(rows: list[Row]) -> None:
    width = max(len(r.label) for r in rows)
    head = f"{'measure':<{width}}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  target"
    print()
    print(head)
    print("-" * (len(head) + 16))
    for r in rows:
        verdict = "" if r.ok is None else ("  ok" if r.ok else "  MISSED")
        print(
            f"{r.label:<{width}}  {len(r.samples_ms):>4}  {percentile(r.samples_ms, 50):8.1f}  "
            f"{percentile(r.samples_ms, 95):8.1f}  {max(r.samples_ms):8.1f}  {r.target}{verdict}"
        )


def run(args: argparse.Namespace) -> None:
    world = World(slug=f"bench-wl-{int(time.time())}")
    proc: subprocess.Popen[bytes] | None = None
    log = Path(tempfile.mkstemp(prefix="bench-walk-list-", suffix=".log")[1])
    load_before = os.getloadavg()[0]
    print(f"app: {app_version()}")
    try:
        started = time.perf_counter()
        asyncio.run(set_up(world, args.doors, args.small_doors))
        print(
            f"set-up: campaign {world.slug}, {world.people:,} people at {world.households:,} "
            f"doors imported in {time.perf_counter() - started:.1f} s"
        )
        if args.analyze:
            asyncio.run(analyze(("precinct", "household", "person")))
        else:
            print("no ANALYZE: the planner's statistics may predate the import")
        port = free_port()
        proc = start_server(port, log)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            rows = measure(client, world, args)
        print_table(rows)
        print(
            f"\n{os.cpu_count()} CPUs shared by the client, uvicorn (1 worker) and PostgreSQL; "
            f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f} "
            "(other work on the machine skews the figures)"
        )
    except BaseException:
        if log.exists() and log.stat().st_size:
            print(f"--- uvicorn log ---\n{log.read_text()[-5000:]}", file=sys.stderr)
        raise
    finally:
        if proc is not None:
            stop_server(proc)
        asyncio.run(clean_up(world))
        log.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--doors", type=int, default=5000, help="doors in the big turf (about)")
    parser.add_argument("--build-runs", type=int, default=5)
    parser.add_argument("--small-doors", type=int, default=60, help="doors in the small list")
    parser.add_argument("--get-warmup", type=int, default=20)
    parser.add_argument("--get-requests", type=int, default=200)
    parser.add_argument("--sync-items", type=int, default=100)
    parser.add_argument("--sync-warmup", type=int, default=5)
    parser.add_argument("--sync-requests", type=int, default=100)
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the ANALYZEs after the import, the big builds and the sync warm-ups (measure "
        "the state right after the writes, before autovacuum has refreshed the statistics)",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
