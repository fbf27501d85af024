"""Walking-route quality and speed: Doorstep's route engine against OR-Tools and street order.

    make bench-route
    make bench-route BENCH_ARGS="--quick"               # fewer instances, OR-Tools 3 s
    make bench-route BENCH_ARGS="--ortools-seconds 60 --jobs 1"

Lists of 50, 100, 200 and 500 doors from two sources:

- demo: the N households of the demo campaign (Cambridge MA) nearest to a few seed households
  spread over the city, with their street and house number: real geometry, where a building's
  units share one point;
- grid: synthetic street grids: blocks with doors on both sides of every street, odd numbers
  on one side and even on the other, jittered, some multi-door buildings; the N doors nearest
  to a random centre.

Every route is priced by the same model (`route_planner.route_length`): straight lines in metres
in a local projection plus the crossing penalty (20 m) between opposite sides of one
street. For each list it prints Doorstep's length and time (median of 3 runs, which must give
the same route; wall clock, and CPU time of this process, which other work on the machine does
not inflate), the reference (OR-Tools routing, PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH
for --ortools-seconds, 30 s; an open path through a dummy depot 0 m from every door, on an
integer matrix of decimetres including the penalty), street order (street, odd side then even,
house number, suffix, unit: what walk sheets do), and the ratios. Then the mean and worst
ratios per size against the targets: mean <= 1.03 x reference, worst <= 1.05 x, at least 40%
less walking than street order over all lists of a size (sum over sum: a demo list can be all
one apartment block, where no order beats street order), under 100 ms at 100 doors and under
1 s at 500.

Doorstep runs first, alone; the OR-Tools references then run --jobs at a time (default: one
per core; each is single-threaded and gets its full time limit).
"""

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from app.config import get_settings
from app.db import make_engine
from app.geo import EARTH_RADIUS_M, Projection
from app.services.walk_lists.route_planner import (
    RouteSettings,
    plan_route,
    route_length,
    street_side_keys,
)

SIZES = (50, 100, 200, 500)
DEMO_LAT, DEMO_LON = 42.3736, -71.1097  # Cambridge MA: where the synthetic grids are placed


@dataclass
class Instance:
    source: str  # "demo #k" / "grid #k"
    lon: np.ndarray
    lat: np.ndarray
    street: list[str]
    number: list[str]
    suffix: list[str]
    unit: list[str]


# ---------------------------------------------------------------------------------------------
# Instances


async def load_demo(slug: str) -> dict[str, np.ndarray | list[str]]:
    engine = make_engine(get_settings())
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        """
                        SELECT ST_X(h.geom), ST_Y(h.geom), h.street, h.house_number,
                               coalesce(h.house_suffix, ''), coalesce(h.unit, '')
                        FROM household h JOIN campaign c ON c.id = h.campaign_id
                        WHERE c.slug = :slug AND h.geom IS NOT NULL
                        ORDER BY h.address_key
                        """
                    ),
                    {"slug": slug},
                )
            ).all()
    finally:
        await engine.dispose()
    if not rows:
        sys.exit(f"no households with a point in campaign {slug!r}: run `make demo` first")
    cols = list(zip(*rows, strict=True))
    return {
        "lon": np.array(cols[0], dtype=float),
        "lat": np.array(cols[1], dtype=float),
        "street": list(cols[2]),
        "number": list(cols[3]),
        "suffix": list(cols[4]),
        "unit": list(cols[5]),
    }


def demo_instances(data: dict, size: int, count: int) -> list[Instance]:
    """The `size` households nearest to each of `count` seed households, the seeds spread
    evenly over the address-key order (deterministic for a given demo load)."""
    lon, lat = data["lon"], data["lat"]
    k = math.cos(math.radians(float(np.mean(lat))))
    out = []
    for i in range(count):
        seed = int(len(lon) * (i + 0.5) / count)
        d2 = ((lon - lon[seed]) * k) ** 2 + (lat - lat[seed]) ** 2
        pick = np.sort(np.argsort(d2, kind="stable")[:size])
        out.append(
            Instance(
                f"demo #{i + 1}",
                lon[pick],
                lat[pick],
                *([data[c][j] for j in pick] for c in ("street", "number", "suffix", "unit")),
            )
        )
    return out


def grid_instance(size: int, seed: int) -> Instance:
    """A street grid: blocks of 70-110 m x 130-190 m, streets 14 m wide, lots 9-16 m wide on
    both sides of every street (odd numbers on the north/west side), 2 m jitter, one building
    in six holding 2-4 doors; the `size` doors nearest to a random centre."""
    rng = np.random.default_rng(seed)
    cols = np.cumsum(rng.uniform(130, 190, size=14))  # x of the north-south avenues
    rows_ = np.cumsum(rng.uniform(70, 110, size=22))  # y of the east-west streets
    xs, ys, streets, numbers, units = [], [], [], [], []

    def frontage(name: str, along: np.ndarray, fixed: float, horizontal: bool) -> None:
        for sgn, parity in ((+1, 1), (-1, 0)):  # odd side, even side
            pos = 0.0
            lot = 0
            while True:
                pos += rng.uniform(9, 16)
                if pos >= along[-1]:
                    break
                if np.min(np.abs(along - pos)) < 10:  # no lots in the crossings
                    continue
                lot += 1
                offset = sgn * (7 + 6 + rng.uniform(-2, 2))
                px = pos + rng.normal(0, 1)
                x, y = (px, fixed + offset) if horizontal else (fixed + offset, px)
                doors = int(rng.integers(2, 5)) if rng.random() < 1 / 6 else 1
                for u in range(doors):
                    xs.append(x)
                    ys.append(y)
                    streets.append(name)
                    numbers.append(str(2 * lot - parity + 100 * int(pos // 100)))
                    units.append(str(u + 1) if doors > 1 else "")

    for i, y in enumerate(rows_):
        frontage(f"{i + 1} Street", cols, y, True)
    for i, x in enumerate(cols):
        frontage(f"{chr(65 + i)} Avenue", rows_, x, False)
    x = np.array(xs)
    y = np.array(ys)
    cx = rng.uniform(0.3, 0.7) * cols[-1]
    cy = rng.uniform(0.3, 0.7) * rows_[-1]
    pick = np.sort(np.argsort((x - cx) ** 2 + (y - cy) ** 2, kind="stable")[:size])
    lat = DEMO_LAT + np.degrees(y[pick] / EARTH_RADIUS_M)
    lon = DEMO_LON + np.degrees(x[pick] / (EARTH_RADIUS_M * math.cos(math.radians(DEMO_LAT))))
    return Instance(
        f"grid #{seed}",
        lon,
        lat,
        [streets[j] for j in pick],
        [numbers[j] for j in pick],
        ["" for _ in pick],
        [units[j] for j in pick],
    )


# ---------------------------------------------------------------------------------------------
# Orders


def street_order(inst: Instance) -> np.ndarray:
    """Walk-sheet order: street, odd side then even, house number, suffix, unit."""

    def key(i: int) -> tuple:
        digits = "".join(c for c in inst.number[i] if c.isdigit()) if inst.number[i] else ""
        num = int(digits) if digits and inst.number[i][0].isdigit() else None
        side = 0 if num is not None and num % 2 else 1
        return (
            inst.street[i].upper(),
            side if num is not None else 2,
            num if num is not None else math.inf,
            inst.number[i],
            inst.suffix[i],
            inst.unit[i],
            i,
        )

    return np.array(sorted(range(len(inst.lon)), key=key), dtype=np.int64)


def door_costs(lon: np.ndarray, lat: np.ndarray, side: np.ndarray, penalty: float) -> np.ndarray:
    """The model's door-to-door matrix in metres (what OR-Tools is given, in decimetres)."""
    x, y = Projection.around(lon, lat).xy(lon, lat)
    cost = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    cross = (side[:, None] >= 0) & (side[None, :] >= 0) & (side[:, None] != side[None, :])
    cross &= side[:, None] // 2 == side[None, :] // 2
    return cost + penalty * cross


def ortools_order(cost: np.ndarray, seconds: float) -> tuple[np.ndarray, float]:
    """OR-Tools' open path: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH for `seconds`, a dummy
    depot 0 m from every door, decimetres as integers. Returns (order, seconds spent)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(cost)
    if n <= 2:
        return np.arange(n, dtype=np.int64), 0.0
    matrix = np.zeros((n + 1, n + 1), dtype=np.int64)
    matrix[:n, :n] = np.rint(cost * 10).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n + 1, 1, n)
    model = pywrapcp.RoutingModel(manager)
    transit = model.RegisterTransitMatrix(matrix.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    started = time.perf_counter()
    solution = model.SolveWithParameters(params)
    spent = time.perf_counter() - started
    order = []
    index = model.Start(0)
    while not model.IsEnd(index):
        node = manager.IndexToNode(index)
        if node != n:
            order.append(node)
        index = solution.Value(model.NextVar(index))
    return np.array(order, dtype=np.int64), spent


def _reference(args: tuple[np.ndarray, np.ndarray, np.ndarray, float, float]) -> tuple:
    lon, lat, side, penalty, seconds = args
    order, spent = ortools_order(door_costs(lon, lat, side, penalty), seconds)
    length = route_length(order, lon, lat, side, settings=RouteSettings(crossing_penalty_m=penalty))
    return length, spent


# ---------------------------------------------------------------------------------------------
# The run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 lists per size, OR-Tools 3 s")
    parser.add_argument("--ortools-seconds", type=float, default=None, help="default 30 (3)")
    parser.add_argument("--demo-lists", type=int, default=None, help="per size, default 4 (1)")
    parser.add_argument("--grid-lists", type=int, default=None, help="per size, default 3 (1)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--campaign", default="demo", help="slug of the demo campaign")
    args = parser.parse_args()
    seconds = args.ortools_seconds or (3.0 if args.quick else 30.0)
    n_demo = args.demo_lists if args.demo_lists is not None else (1 if args.quick else 4)
    n_grid = args.grid_lists if args.grid_lists is not None else (1 if args.quick else 3)
    settings = RouteSettings()

    data = asyncio.run(load_demo(args.campaign)) if n_demo else None
    instances: list[tuple[int, Instance]] = []
    for size in args.sizes:
        if data is not None:
            instances += [(size, inst) for inst in demo_instances(data, size, n_demo)]
        instances += [(size, grid_instance(size, seed)) for seed in range(1, n_grid + 1)]

    plan_route(np.array([0.0, 1e-3]), np.array([0.0, 0.0]))  # warm up numpy
    load = os.getloadavg()[0]
    ours = []
    for _, inst in instances:
        side = street_side_keys(inst.street, inst.number)
        runs = []
        for _ in range(3):
            started, cpu = time.perf_counter(), time.process_time()
            route = plan_route(inst.lon, inst.lat, side, settings=settings)
            runs.append((time.perf_counter() - started, time.process_time() - cpu, route))
        if any(not np.array_equal(r.order, runs[0][2].order) for *_, r in runs):
            sys.exit(f"{inst.source}: not deterministic")
        street = route_length(street_order(inst), inst.lon, inst.lat, side, settings=settings)
        wall = statistics.median(t for t, _, _ in runs)
        cpu = statistics.median(c for _, c, _ in runs)
        ours.append((runs[0][2].distance_m, wall, cpu, street, side))

    total = len(instances) * seconds / max(1, args.jobs)
    print(f"OR-Tools references: {len(instances)} lists x {seconds:g} s, {args.jobs} at a time"
          f" (about {total / 60:.1f} min)", file=sys.stderr)  # fmt: skip
    jobs = [
        (inst.lon, inst.lat, side, settings.crossing_penalty_m, seconds)
        for (_, inst), (*_, side) in zip(instances, ours, strict=True)
    ]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        refs = list(pool.map(_reference, jobs))

    head = (
        f"{'doors':>5} {'list':<8} {'points':>6} {'doorstep m':>10} {'ms':>6} {'cpu ms':>6} "
        f"{'OR-Tools m':>10} {'s':>5} {'street m':>9} {'/ref':>6} {'/street':>7}"
    )
    print(f"Doorstep timed alone on this machine ({os.cpu_count()} cores, load average"
          f" {load:.2f} when it started); points = distinct door locations")  # fmt: skip
    print(head)
    print("-" * len(head))
    by_size: dict[int, list[tuple[float, float, float, float]]] = {}
    totals: dict[int, list[float]] = {}  # size -> [Doorstep metres, street-order metres]
    for (size, inst), (length, spent, cpu, street, _), (ref, ref_s) in zip(
        instances, ours, refs, strict=True
    ):
        points = len(set(zip(inst.lon.tolist(), inst.lat.tolist(), strict=True)))
        r_ref = length / ref if ref else 1.0
        r_street = length / street if street else 1.0
        by_size.setdefault(size, []).append((r_ref, r_street, spent, cpu))
        totals.setdefault(size, [0.0, 0.0])
        totals[size][0] += length
        totals[size][1] += street
        print(
            f"{size:>5} {inst.source:<8} {points:>6} {length:>10.0f} {spent * 1000:>6.1f} "
            f"{cpu * 1000:>6.1f} "
            f"{ref:>10.0f} {ref_s:>5.1f} {street:>9.0f} {r_ref:>6.3f} {r_street:>7.3f}"
        )

    print()
    print(
        f"{'doors':>5} {'mean /ref':>9} {'worst /ref':>10} {'total /street':>13} "
        f"{'worst /street':>13} {'max ms':>7} {'max cpu ms':>10}"
    )
    ok = True
    for size, rows in by_size.items():
        refs_r = [r for r, *_ in rows]
        streets_r = [s for _, s, *_ in rows]
        street_total = totals[size][0] / totals[size][1]
        worst_ms = max(t for _, _, t, _ in rows) * 1000
        worst_cpu = max(c for *_, c in rows) * 1000
        print(
            f"{size:>5} {statistics.mean(refs_r):>9.3f} {max(refs_r):>10.3f} "
            f"{street_total:>13.3f} {max(streets_r):>13.3f} {worst_ms:>7.1f} "
            f"{worst_cpu:>10.1f}"
        )
        ok &= statistics.mean(refs_r) <= 1.03 and max(refs_r) <= 1.05
        ok &= street_total <= 0.60
        if size == 100:
            ok &= worst_ms < 100
        if size == 500:
            ok &= worst_ms < 1000
    print()
    print("targets: mean /ref <= 1.03, worst /ref <= 1.05, total /street <= 0.60 (40% less walking")
    print(
        "         over a size's lists: one whose doors share one or two points cannot do better),"
    )
    print(f"         < 100 ms at 100 doors, < 1000 ms at 500 doors: {'met' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
