"""Walking routes: the order in which a canvasser knocks on a walk list's doors.

Pure numpy (no database, no I/O), so a walk-list build can run it in a worker thread.

The model, chosen so that a route stays natural to walk without a street network:

- Distances are metres in a local equirectangular projection around the doors' mean latitude
  (error well under 1% across a city).
- Doors at one point (within `same_stop_m`, one metre: a building's units, a house's families)
  are one *stop*: the engine routes stops, then lists each stop's doors consecutively, in input
  order.
- Going between two doors of the same street on opposite sides (same normalised street, one
  odd and one even house number) costs `crossing_penalty_m` more than the straight line, so the
  route walks one side and then comes back on the other instead of zig-zagging.
- The route is an open path: it starts at one door and ends at another, it does not return.
- A precomputed `distances` matrix (metres, e.g. from a street network) replaces the straight
  lines; the crossing penalty is still added when `side` is given.

The search itself (`route_search.solve`) is local search with a fixed, deterministic budget.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.geo import Projection
from app.services.voter_file.addresses import street_key
from app.services.walk_lists.route_search import solve

_LEADING_NUMBER = re.compile(r"\s*(\d+)")


@dataclass(frozen=True)
class RouteSettings:
    """Knobs of the walking model and of the search.

    crossing_penalty_m: extra metres for going between opposite sides of one street (a crossing
        is slower and less safe than walking on: find a crossing, wait, look). 0 disables it.
    same_stop_m: doors closer than this are one stop (one building, one geocoded point).
    effort: multiplies the iterated-local-search budget; 0 gives plain 2-opt + Or-opt.
    seed: of the kicks' RNG. Fixed so that a list's route never changes between builds.
    max_seconds: safety net only: the kicks stop after this long. The fixed budget ends far
        earlier (`make bench-route` prints the times), so routes stay deterministic.
    """

    crossing_penalty_m: float = 20.0
    same_stop_m: float = 1.0
    effort: float = 1.0
    seed: int = 20_240_917
    max_seconds: float = 10.0


@dataclass(frozen=True)
class Route:
    """order: indices into the input doors in walking order, each door exactly once (doors
    without a point last). distance_m: the open path's length in metres under the model."""

    order: np.ndarray
    distance_m: float


# ---------------------------------------------------------------------------------------------
# The model


def street_side_keys(streets: Sequence[str], house_numbers: Sequence[str | None]) -> np.ndarray:
    """An int key per door naming its side of its street, for `plan_route(side=...)`.

    key = 2 * (index of the normalised street, in order of first appearance) + (1 if the leading
    house number is odd else 0); -1 when the street is blank or the number has no leading digits
    (such doors never pay a crossing penalty). Two doors are on opposite sides of one street when
    their keys differ and are equal after `// 2`. "Main Street" and "MAIN ST." are one street
    (the address key's normalisation); "12A" and "12-14" count as 12, even.
    """
    if len(streets) != len(house_numbers):
        raise ValueError("streets and house_numbers differ in length")
    ids: dict[str, int] = {}
    keys = np.full(len(streets), -1, dtype=np.int64)
    for i, (street, number) in enumerate(zip(streets, house_numbers, strict=True)):
        name = street_key(street) if street else ""
        match = _LEADING_NUMBER.match(number) if number else None
        if not name or match is None:
            continue
        street_id = ids.setdefault(name, len(ids))
        keys[i] = 2 * street_id + int(match.group(1)[-1]) % 2
    return keys


def _crossing(side_a: np.ndarray, side_b: np.ndarray) -> np.ndarray:
    """True where two doors are on opposite sides of one street (broadcasts)."""
    crossing: np.ndarray = (side_a >= 0) & (side_b >= 0) & (side_a != side_b)
    crossing &= side_a // 2 == side_b // 2
    return crossing


def _cost_matrix(
    x: np.ndarray, y: np.ndarray, side: np.ndarray | None, penalty: float
) -> np.ndarray:
    """Metres between all points, plus the penalty between opposite sides of one street."""
    dx = x[:, None] - x[None, :]
    cost: np.ndarray = np.multiply(dx, dx, out=dx)
    dy = y[:, None] - y[None, :]
    cost += np.multiply(dy, dy, out=dy)
    np.sqrt(cost, out=cost)
    if side is not None and penalty:
        cost += _penalties(side, penalty)
    return cost


def _penalties(side: np.ndarray, penalty: float) -> np.ndarray:
    """The crossing penalty between every two doors (0 or `penalty`), as a matrix."""
    street = np.where(side >= 0, side // 2, -1 - np.arange(len(side)))  # unknown: own street
    cross = street[:, None] == street[None, :]
    cross &= side[:, None] != side[None, :]
    penalties: np.ndarray = cross * penalty
    return penalties


def _inputs(
    lon: np.ndarray,
    lat: np.ndarray,
    side: np.ndarray | None,
    distances: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Validated float/int arrays and the mask of doors that can be routed."""
    lon = np.asarray(lon, dtype=np.float64).reshape(-1)
    lat = np.asarray(lat, dtype=np.float64).reshape(-1)
    n = len(lon)
    if len(lat) != n:
        raise ValueError("lon and lat differ in length")
    if side is not None:
        side = np.asarray(side, dtype=np.int64).reshape(-1)
        if len(side) != n:
            raise ValueError("side and lon differ in length")
    located = np.isfinite(lon) & np.isfinite(lat)
    if distances is not None:
        distances = np.asarray(distances, dtype=np.float64)
        if distances.shape != (n, n):
            raise ValueError(f"distances must be {n}x{n}")
        off = distances.copy()
        np.fill_diagonal(off, np.nan)
        located = np.isfinite(off).any(axis=1) if n > 1 else np.isfinite(distances[:, 0])
        sub = distances[np.ix_(located, located)]
        if not np.isfinite(sub).all():
            raise ValueError("distances between doors with a point must be finite")
        if (sub < 0).any():
            raise ValueError("distances must not be negative")
    return lon, lat, side, distances, located


def route_length(
    order: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    side: np.ndarray | None = None,
    *,
    settings: RouteSettings = RouteSettings(),
    distances: np.ndarray | None = None,
) -> float:
    """Length in metres of walking `order` (door indices) as an open path, under the same model
    as `plan_route`: straight lines (or `distances`) plus the crossing penalty. Doors without a
    point are skipped. Used to compare routes: street order, OR-Tools' order, ours."""
    lon, lat, side, distances, located = _inputs(lon, lat, side, distances)
    order = np.asarray(order, dtype=np.int64).reshape(-1)
    order = order[located[order]]
    if len(order) < 2:
        return 0.0
    a, b = order[:-1], order[1:]
    if distances is not None:
        legs = distances[a, b]
    else:
        x, y = Projection.around(lon[located], lat[located]).xy(lon[located], lat[located])
        xs = np.zeros(len(lon))
        ys = np.zeros(len(lon))
        xs[located], ys[located] = x, y
        legs = np.hypot(xs[a] - xs[b], ys[a] - ys[b])
    if side is not None and settings.crossing_penalty_m:
        legs = legs + settings.crossing_penalty_m * _crossing(side[a], side[b])
    return float(legs.sum())


# ---------------------------------------------------------------------------------------------
# Stops


def _stops(
    cost: np.ndarray, side: np.ndarray | None, same_stop_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Group points (in input order, `cost` between them) into stops: (first point of each stop,
    stop of each point). A point joins the first earlier stop leader within `same_stop_m` on the
    same side key (greedy, deterministic). Doors of different side keys never share a stop, even
    at one point, so that the stops' distances are exactly the doors' (the crossing penalty
    stays priced)."""
    count = len(cost)
    stop_of = np.full(count, -1, dtype=np.int64)
    leaders: list[int] = []
    for i in range(count):
        if stop_of[i] >= 0:
            continue
        stop_of[i] = len(leaders)
        leaders.append(i)
        near = (cost[i] <= same_stop_m) & (stop_of < 0)
        if side is not None:
            near &= side == side[i]
        stop_of[near] = stop_of[i]
    return np.asarray(leaders, dtype=np.int64), stop_of


def plan_route(
    lon: np.ndarray,
    lat: np.ndarray,
    side: np.ndarray | None = None,
    *,
    settings: RouteSettings = RouteSettings(),
    distances: np.ndarray | None = None,
) -> Route:
    """The walking order of n doors.

    lon, lat: WGS84 degrees per door. NaN means the door has no point: such doors come last, in
        input order, and add nothing to `distance_m`.
    side: optional int per door from `street_side_keys`; opposite sides of one street then cost
        `settings.crossing_penalty_m` more.
    distances: optional n x n metres (e.g. walking distances on a street network) used instead
        of straight lines; then lon/lat are not used, and a door whose row holds no finite
        value (but its own) counts as having no point. It should be symmetric (walking is): the
        search uses its average with its transpose, `distance_m` prices the matrix as given.

    Deterministic: the same input (and settings) gives the same route.
    """
    lon, lat, side, distances, located = _inputs(lon, lat, side, distances)
    doors = np.flatnonzero(located)
    unlocated = np.flatnonzero(~located)
    penalty = settings.crossing_penalty_m
    if len(doors) == 0:
        return Route(order=unlocated.astype(np.int64), distance_m=0.0)

    door_side = side[doors] if side is not None and penalty else None
    if distances is not None:
        points = np.arange(len(doors))  # each door its own point: stops by the matrix alone
        point_of = points
        point_side = door_side
        sub = distances[np.ix_(doors, doors)]
        sub = (sub + sub.T) / 2
        if door_side is not None:
            sub += _penalties(door_side, penalty)
    else:
        x, y = Projection.around(lon[doors], lat[doors]).xy(lon[doors], lat[doors])
        # Doors at exactly one point on one side first, cheaply: the common case (one geocoded
        # point per building); `_stops` then merges the distinct points closer than a metre.
        key = np.column_stack([np.round(x, 2), np.round(y, 2)])
        if door_side is not None:
            key = np.column_stack([key, door_side])
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        points = np.sort(first)  # the first door at each distinct point, in input order
        point_of = rank[inverse.reshape(-1)]
        point_side = door_side[points] if door_side is not None else None
        sub = _cost_matrix(x[points], y[points], point_side, penalty)

    leaders, stop_of_point = _stops(sub, point_side, settings.same_stop_m)
    stop_of = stop_of_point[point_of]
    cost = sub if len(leaders) == len(points) else sub[np.ix_(leaders, leaders)]

    stop_order = solve(cost, settings)
    rank_of_stop = np.empty(len(stop_order), dtype=np.int64)
    rank_of_stop[stop_order] = np.arange(len(stop_order))
    walk = doors[np.argsort(rank_of_stop[stop_of], kind="stable")]
    order = np.concatenate((walk, unlocated)).astype(np.int64)
    distance = route_length(order, lon, lat, side, settings=settings, distances=distances)
    return Route(order=order, distance_m=distance)
