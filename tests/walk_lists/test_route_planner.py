"""The route engine (app.services.walk_lists.route_planner): pure numpy, no database.

Validity (every door once), determinism, edge cases, the walking model (stops, crossing
penalty, a given distance matrix) and quality against OR-Tools on small lists.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.geo import EARTH_RADIUS_M, Projection
from app.services.walk_lists.route_planner import (
    Route,
    RouteSettings,
    plan_route,
    route_length,
    street_side_keys,
)

LAT0, LON0 = 42.3736, -71.1097


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Metres east/north of a Cambridge point to lon/lat (the engine's own projection)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lat = LAT0 + np.degrees(y / EARTH_RADIUS_M)
    lon = LON0 + np.degrees(x / (EARTH_RADIUS_M * math.cos(math.radians(LAT0))))
    return lon, lat


def assert_permutation(route: Route, n: int) -> None:
    assert route.order.dtype.kind == "i"
    assert sorted(route.order.tolist()) == list(range(n))


def grid(rows: int, cols: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Doors on both sides of `rows` parallel east-west streets 80 m apart and `cols` lots
    14 m wide: odd numbers on the north side, even on the south, 2 m jitter."""
    rng = np.random.default_rng(seed)
    xs, ys, streets, numbers = [], [], [], []
    for r in range(rows):
        for parity, offset in ((1, 10.0), (0, -10.0)):
            for c in range(cols):
                xs.append(14.0 * c + rng.uniform(-2, 2))
                ys.append(80.0 * r + offset + rng.uniform(-2, 2))
                streets.append(f"{r + 1} Street")
                numbers.append(str(2 * c + 2 - parity))
    lon, lat = to_lonlat(xs, ys)
    return lon, lat, streets, numbers


def street_order(streets: list[str], numbers: list[str]) -> np.ndarray:
    """Walk-sheet order: street, odd side first, house number."""
    key = [
        (s.upper(), int(n) % 2 == 0, int(n), i)
        for i, (s, n) in enumerate(zip(streets, numbers, strict=True))
    ]
    return np.array([k[-1] for k in sorted(key)])


def ortools_length(lon, lat, side, seconds: float) -> float:
    """OR-Tools' open path (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, dummy depot, decimetres),
    priced by the engine's model."""
    pywrapcp = pytest.importorskip("ortools.constraint_solver.pywrapcp")
    from ortools.constraint_solver import routing_enums_pb2

    n = len(lon)
    x, y = Projection.around(lon, lat).xy(lon, lat)
    cost = np.hypot(x[:, None] - x, y[:, None] - y)
    if side is not None:
        known = side >= 0
        cross = known[:, None] & known & (side[:, None] != side) & (side[:, None] // 2 == side // 2)
        cost += 20.0 * cross
    matrix = np.zeros((n + 1, n + 1), dtype=np.int64)
    matrix[:n, :n] = np.rint(cost * 10)
    manager = pywrapcp.RoutingIndexManager(n + 1, 1, n)
    model = pywrapcp.RoutingModel(manager)
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(matrix.tolist()))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = model.SolveWithParameters(params)
    order, index = [], model.Start(0)
    while not model.IsEnd(index):
        if manager.IndexToNode(index) != n:
            order.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    return route_length(np.array(order), lon, lat, side)


# ---------------------------------------------------------------------------------------------
# Validity and determinism


points = st.integers(min_value=0, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n, max_size=n),
        st.lists(st.integers(-1, 5), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points)
def test_any_point_set_gives_a_deterministic_permutation(case) -> None:
    """Random points on a coarse 20 m lattice (so many share a point), random side keys, some
    without a point: every door exactly once, the unlocated last in input order, the same route
    twice, and distance_m is the length of the order under the model."""
    cells, sides, missing = case
    n = len(cells)
    xy = np.array(cells, dtype=float).reshape(-1, 2) * 20.0
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    lon[np.array(missing, dtype=bool)] = np.nan
    side = np.array(sides, dtype=np.int64)
    first = plan_route(lon, lat, side)
    second = plan_route(lon.copy(), lat.copy(), side.copy())
    assert_permutation(first, n)
    assert np.array_equal(first.order, second.order)
    assert first.distance_m == second.distance_m
    unlocated = [i for i in range(n) if missing[i]]
    assert first.order[n - len(unlocated) :].tolist() == unlocated
    assert first.distance_m == pytest.approx(route_length(first.order, lon, lat, side))


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=8, max_value=120))
def test_uniform_random_points(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = to_lonlat(rng.uniform(0, 600, n), rng.uniform(0, 400, n))
    route = plan_route(lon, lat)
    assert_permutation(route, n)
    assert np.array_equal(route.order, plan_route(lon, lat).order)


def test_long_lists_price_moves_to_near_stops_only() -> None:
    """Above 1,000 stops (a whole turf) moves are priced against each stop's nearest stops
    only: still a deterministic permutation, and the kicks still shorten the route."""
    rng = np.random.default_rng(2)
    lon, lat = to_lonlat(rng.uniform(0, 3000, 1100), rng.uniform(0, 2000, 1100))
    route = plan_route(lon, lat)
    assert_permutation(route, 1100)
    assert np.array_equal(route.order, plan_route(lon, lat).order)
    plain = plan_route(lon, lat, settings=RouteSettings(effort=0))
    assert route.distance_m < plain.distance_m


def test_no_doors() -> None:
    route = plan_route(np.array([]), np.array([]))
    assert route.order.tolist() == []
    assert route.distance_m == 0.0


def test_one_and_two_doors() -> None:
    lon, lat = to_lonlat([0.0, 30.0], [0.0, 40.0])
    one = plan_route(lon[:1], lat[:1])
    assert one.order.tolist() == [0]
    assert one.distance_m == 0.0
    two = plan_route(lon, lat)
    assert sorted(two.order.tolist()) == [0, 1]
    assert two.distance_m == pytest.approx(50.0, rel=1e-3)


def test_all_doors_at_one_point_keep_input_order() -> None:
    lon, lat = to_lonlat(np.zeros(12), np.zeros(12))
    route = plan_route(lon, lat)
    assert route.order.tolist() == list(range(12))
    assert route.distance_m == 0.0


def test_doors_without_a_point_come_last_in_input_order() -> None:
    lon, lat = to_lonlat([0.0, 10, 20, 30, 40, 50], [0.0] * 6)
    lon[[1, 4]] = np.nan
    lat[5] = np.nan
    route = plan_route(lon, lat)
    assert route.order[-3:].tolist() == [1, 4, 5]
    assert set(route.order[:3].tolist()) == {0, 2, 3}
    assert route.distance_m == pytest.approx(30.0, rel=1e-3)
    nowhere = plan_route(np.full(3, np.nan), np.full(3, np.nan))
    assert nowhere.order.tolist() == [0, 1, 2]
    assert nowhere.distance_m == 0.0


def test_doors_of_one_building_are_one_stop_in_input_order() -> None:
    """Three buildings on a line, their units interleaved in the input: the route takes each
    building's doors together, in input order, and pays nothing between them."""
    x = np.array([0.0, 100, 200, 0, 100, 200, 0.3, 200.2, 100])
    lon, lat = to_lonlat(x, np.zeros(9))
    route = plan_route(lon, lat)
    order = route.order.tolist()
    buildings = [[0, 3, 6], [1, 4, 8], [2, 5, 7]]
    runs = [order[i : i + 3] for i in (0, 3, 6)]
    assert sorted(runs) == sorted(buildings)
    assert route.distance_m == pytest.approx(200.0, abs=1.0)


def test_duplicates_among_many_points() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 500, 40), rng.uniform(0, 500, 40)
    copies = rng.integers(0, 40, 60)  # 60 more doors at the same points as earlier ones
    lon, lat = to_lonlat(np.concatenate((x, x[copies])), np.concatenate((y, y[copies])))
    route = plan_route(lon, lat)
    assert_permutation(route, 100)
    alone = plan_route(*to_lonlat(x, y))
    assert route.distance_m == pytest.approx(alone.distance_m, rel=0.02)
    position = {door: k for k, door in enumerate(route.order.tolist())}
    for j, src in enumerate(copies.tolist()):  # every copy right after the door it copies
        same = [src] + [40 + k for k, c in enumerate(copies.tolist()) if c == src]
        spots = sorted(position[d] for d in same)
        assert spots == list(range(spots[0], spots[0] + len(same))), (j, src)


# ---------------------------------------------------------------------------------------------
# The walking model


def ladder(doors_per_side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One street 10 m wide, doors every 25 m on both sides: without a crossing penalty the
    shortest walk zig-zags across it, with one it walks one side and comes back on the other."""
    x = np.tile(np.arange(doors_per_side) * 25.0, 2)
    y = np.repeat([5.0, -5.0], doors_per_side)
    number = [str(2 * k + 1) for k in range(doors_per_side)]
    number += [str(2 * k + 2) for k in range(doors_per_side)]
    lon, lat = to_lonlat(x, y)
    return lon, lat, street_side_keys(["Elm St"] * (2 * doors_per_side), number)


def crossings(route: Route, side: np.ndarray) -> int:
    sides = side[route.order]
    return int(np.count_nonzero(sides[1:] != sides[:-1]))


def test_crossing_penalty_keeps_to_one_side() -> None:
    lon, lat, side = ladder(10)
    free = plan_route(lon, lat, side, settings=RouteSettings(crossing_penalty_m=0))
    assert crossings(free, side) > 5  # zig-zag: 9 x 25 + 10 x 10 = 325 m
    assert free.distance_m == pytest.approx(325.0, abs=1.0)
    priced = plan_route(lon, lat, side)
    assert crossings(priced, side) == 1  # one side, cross once, back: 2 x 225 + 10 + 20 m
    assert priced.distance_m == pytest.approx(480.0, abs=1.0)
    assert route_length(free.order, lon, lat, side) > priced.distance_m
    no_side = plan_route(lon, lat)  # without side keys there is no penalty to price
    assert no_side.distance_m == pytest.approx(325.0, abs=1.0)


def test_street_side_keys() -> None:
    keys = street_side_keys(
        ["Main Street", "MAIN ST.", "main st", "Oak Ave", "Oak Avenue", "Main St", "", "Elm St"],
        ["12", "13", "14A", "7-9", "8", None, "5", "rear"],
    )
    main, oak = keys[0] // 2, keys[3] // 2
    assert keys[:3].tolist() == [2 * main, 2 * main + 1, 2 * main]
    assert keys[3:5].tolist() == [2 * oak + 1, 2 * oak]
    assert main != oak
    assert keys[5:].tolist() == [-1, -1, -1]  # no number, no street, no leading digits
    assert street_side_keys([], []).tolist() == []
    with pytest.raises(ValueError):
        street_side_keys(["Main St"], [])


def test_a_distance_matrix_replaces_straight_lines() -> None:
    """All doors at one point, but a matrix of positions on a hidden line: the route is the
    line's order (either way round) and distance_m is priced on the matrix."""
    hidden = np.array([3, 0, 7, 1, 5, 2, 9, 4, 8, 6, 11, 10])
    distances = np.abs(hidden[:, None] - hidden[None, :]) * 30.0
    zeros = np.zeros(len(hidden))
    route = plan_route(zeros, zeros, distances=distances)
    walked = hidden[route.order].tolist()
    assert walked in (list(range(12)), list(range(11, -1, -1)))
    assert route.distance_m == pytest.approx(330.0)
    assert route_length(route.order, zeros, zeros, distances=distances) == route.distance_m
    gaps = distances.copy()
    gaps[4, :] = gaps[:, 4] = np.nan  # door 4 has no point on the network
    partial = plan_route(zeros, zeros, distances=gaps)
    assert partial.order[-1] == 4
    assert_permutation(partial, 12)


def test_a_distance_matrix_with_side_keys_adds_the_penalty() -> None:
    lon, lat, side = ladder(6)
    x = np.tile(np.arange(6) * 25.0, 2)
    y = np.repeat([5.0, -5.0], 6)
    straight = np.hypot(x[:, None] - x, y[:, None] - y)
    with_matrix = plan_route(lon, lat, side, distances=straight)
    with_points = plan_route(lon, lat, side)
    assert with_matrix.distance_m == pytest.approx(with_points.distance_m, abs=0.5)
    assert crossings(with_matrix, side) == 1


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        plan_route(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        plan_route(np.zeros(3), np.zeros(3), np.zeros(2, dtype=int))
    with pytest.raises(ValueError):
        plan_route(np.zeros(3), np.zeros(3), distances=np.zeros((2, 2)))
    with pytest.raises(ValueError):
        plan_route(np.zeros(2), np.zeros(2), distances=-np.ones((2, 2)))


# ---------------------------------------------------------------------------------------------
# Quality


def test_effort_zero_is_plain_local_search_and_no_worse_than_street_order() -> None:
    lon, lat, streets, numbers = grid(3, 5)
    side = street_side_keys(streets, numbers)
    quick = plan_route(lon, lat, side, settings=RouteSettings(effort=0))
    full = plan_route(lon, lat, side)
    assert full.distance_m <= quick.distance_m + 1e-6
    assert quick.distance_m < route_length(street_order(streets, numbers), lon, lat, side)


def test_much_shorter_than_street_order_on_a_grid() -> None:
    """Street order walks each street's odd side, then jumps back to walk the even side from
    the same end; the route walks out on one side and back on the other."""
    lon, lat, streets, numbers = grid(4, 10, seed=3)
    side = street_side_keys(streets, numbers)
    route = plan_route(lon, lat, side)
    street = route_length(street_order(streets, numbers), lon, lat, side)
    assert route.distance_m <= 0.7 * street


@pytest.mark.parametrize("case", ["uniform", "clustered", "grid"])
def test_within_five_percent_of_ortools_on_30_doors(case: str) -> None:
    rng = np.random.default_rng(11)
    side = None
    if case == "uniform":
        lon, lat = to_lonlat(rng.uniform(0, 400, 30), rng.uniform(0, 300, 30))
    elif case == "clustered":  # 12 buildings of 1-4 doors around 3 centres
        centres = rng.uniform(0, 500, (3, 2))
        spots = centres[rng.integers(0, 3, 12)] + rng.normal(0, 40, (12, 2))
        which = np.concatenate([np.arange(12), rng.integers(0, 12, 18)])
        lon, lat = to_lonlat(spots[which, 0], spots[which, 1])
    else:
        lon, lat, streets, numbers = grid(3, 5, seed=7)
        side = street_side_keys(streets, numbers)
    route = plan_route(lon, lat, side)
    assert_permutation(route, 30)
    reference = ortools_length(lon, lat, side, seconds=2.0)
    assert route.distance_m <= 1.05 * reference
