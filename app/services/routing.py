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

The search: nearest neighbour, then 2-opt and Or-opt local search driven by a queue of "dirty"
stops (don't-look bits), where each stop's candidate moves (2-opt on its two edges against every
edge, and moving each segment of 1-3 stops that contains it to every gap, both orientations)
are priced in one numpy array operation. Then iterated local search: a local double-bridge kick
(two short neighbouring segments swapped), local search around the kick, kept if shorter. The
kicks come from a fixed-seed RNG and their number is a fixed budget that scales with the number
of stops, so the same input always gives the same route; `max_seconds` is only a safety net far
above the normal running time. Up to 7 stops every order is tried. Above 1,000 stops (whole
turfs) moves are priced against each stop's 12 nearest stops only, and the kick budget stops
growing, so time stays near linear (memory is a stops x stops matrix).

On the benchmark lists (`bench/route.py`: 50-500 doors of the demo city and of synthetic
street grids) routes match or beat OR-Tools' guided local search given 30 s (mean ratio
0.98-1.00, worst 1.01) and are 40-60% shorter than street order, in about 35 ms at 100 doors
and 0.25 s at 500.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.services.addresses import street_key

EARTH_RADIUS_M = 6_371_008.8
_EPS = 1e-7  # metres: smaller gains are rounding noise, never worth a move
_BRUTE_FORCE_MAX = 7  # up to this many stops every order is tried (7! = 5040)
_KICKS_PER_STOP = 1.0  # up to 200 stops
_MAX_KICKS = 400  # larger lists (whole turfs) get no more kicks
_FULL_MAX = 1000  # up to this many stops every move is priced; above, near neighbours only
_NEIGHBOURS = 12
_KICK_WIDTH = 50  # longest segment a kick moves
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
        earlier (about 0.04 s at 100 doors, 0.3 s at 500), so routes stay deterministic.
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


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of the points' mean, equirectangular around their mean latitude."""
    lat0 = float(np.mean(lat))
    lon0 = float(np.mean(lon))
    x = np.radians(lon - lon0) * (EARTH_RADIUS_M * math.cos(math.radians(lat0)))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def _crossing(side_a: np.ndarray, side_b: np.ndarray) -> np.ndarray:
    """True where two doors are on opposite sides of one street (broadcasts)."""
    return (side_a >= 0) & (side_b >= 0) & (side_a != side_b) & (side_a // 2 == side_b // 2)


def _cost_matrix(
    x: np.ndarray, y: np.ndarray, side: np.ndarray | None, penalty: float
) -> np.ndarray:
    """Metres between all points, plus the penalty between opposite sides of one street."""
    dx = x[:, None] - x[None, :]
    cost = np.multiply(dx, dx, out=dx)
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
    return cross * penalty


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
        x, y = _project(lon[located], lat[located])
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


# ---------------------------------------------------------------------------------------------
# The search

# The candidate moves of a stop `a` at position pa, one row each. Rows 0-1: 2-opt on a's edge
# in (pa-1 -> pa) and out (pa -> pa+1), against every other edge. Rows 2-7: Or-opt moving the
# segment at positions pa+first .. pa+last (lengths 1-3, each containing a) into every gap;
# rows 8-13: the same segments reversed. Every row's gain for column c (the edge or gap after
# position pa+c) is  C[row] + E[pa+c] - D[x, t[pa+c]] - D[y, t[pa+c+1]]  with x, y two of the
# seven stops around a (offsets -3..3, rows of `near`): so all 14 x m candidates are priced by
# one gather and a few whole-array operations.
_SEG_FIRST = np.array([0, -1, 0, -2, -1, 0])
_SEG_LAST = np.array([0, 0, 1, 0, 1, 2])
_X = np.concatenate(([2, 3], _SEG_FIRST + 3, _SEG_LAST + 3))  # row of near joined to t[pa+c]
_Y = np.concatenate(([3, 4], _SEG_LAST + 3, _SEG_FIRST + 3))  # row of near joined to t[pa+c+1]
# Columns (relative to pa) where a row's move is void: a 2-opt edge against itself or its
# neighbours, a segment into a gap next to or inside itself.
_VOID = [(-2, 0), (-1, 1)] + [
    (f - 1, last) for f, last in zip(_SEG_FIRST, _SEG_LAST, strict=True)
] * 2


class _Tour:
    """A cyclic tour over the stops plus a dummy node (index n, 0 m from everything) that is
    kept at position 0: cutting the cycle at the dummy gives the open path, and every move
    that touches the dummy's edges changes where the path starts or ends."""

    def __init__(self, cost: np.ndarray, path: np.ndarray) -> None:
        n = len(cost)
        self.m = m = n + 1
        self.dummy = n
        self.D = np.zeros((m, m))
        self.D[:n, :n] = cost
        self.positions = np.arange(m)
        self.void = np.zeros((len(_X), m))
        for row, (lo, hi) in enumerate(_VOID):
            self.void[row, np.arange(lo, hi + 1) % m] = -np.inf

        # Or-opt removal gain D[prev, first] + D[last, next] - D[prev, next] of each segment,
        # read from the gathered rows: D[near[r], near[q]] is at row r, column (q - 3) mod m.
        def flat(r: np.ndarray, q: np.ndarray) -> np.ndarray:
            return r * (m + 1) + (q - 3) % m

        prev, first = _SEG_FIRST + 2, _SEG_FIRST + 3
        last, after = _SEG_LAST + 3, _SEG_LAST + 4
        self.rm = np.concatenate((flat(prev, first), flat(last, after), flat(prev, after)))
        # Long tours: a stop's moves only join it to its nearest stops (and the dummy).
        self.neighbours = None
        if n > _FULL_MAX:
            k = min(_NEIGHBOURS, n - 1)
            others = cost.copy()
            np.fill_diagonal(others, np.inf)
            near = np.argpartition(others, k, axis=1)[:, :k]
            self.neighbours = np.column_stack([near, np.full(n, n)])
            self.rm_local = np.concatenate(
                (7 * prev + first, 7 * last + after, 7 * prev + after)
            )  # the removal gains' entries in D[near][:, near]
            self.void_lo = np.array([lo for lo, _ in _VOID])[:, None]
            self.void_hi = np.array([hi for _, hi in _VOID])[:, None]
        self.set(np.concatenate(([n], path)).astype(np.int64))

    def set(self, t: np.ndarray) -> None:
        self.t = t
        self.pos = np.empty(self.m, dtype=np.int64)
        self._changed()

    def _changed(self) -> None:
        t, m = self.t, self.m
        self.pos[t] = self.positions
        self.t3 = np.concatenate((t, t, t))  # t3[m + p] = t[p] for p in -m .. 2m-1
        self.E = self.D[t, self.t3[m + 1 : 2 * m + 1]]
        self.e3 = np.concatenate((self.E, self.E, self.E))

    def length(self) -> float:
        return float(self.E.sum())

    def best_move(self, a: int) -> tuple[float, tuple]:
        """The best 2-opt or Or-opt move involving stop `a`: (gain, move)."""
        if self.neighbours is not None:
            return self._best_near_move(a)
        m = self.m
        pa = int(self.pos[a])
        base = m + pa
        near = self.t3[base - 3 : base + 4]
        dist = self.D[near[:, None], self.t3[base : base + m + 1]]  # D[near[r], t[pa+c]]
        r = dist.take(self.rm)
        removal = r[:6] + r[6:12] - r[12:]
        if pa < 3 or pa > m - 3:  # segments may not hold the dummy at position 0
            removal[(pa + _SEG_FIRST < 1) | (pa + _SEG_LAST > m - 1)] = -np.inf
        fixed = np.concatenate((self.e3[base - 1 : base + 1], removal, removal))
        gains = fixed[:, None] + self.e3[base : base + m]
        gains -= dist[_X, :m]
        gains -= dist[_Y, 1:]
        gains += self.void
        best = int(gains.argmax())
        row, c = divmod(best, m)
        gain = float(gains.flat[best])
        j = (pa + c) % m
        if row < 2:
            return gain, ("2opt", pa - 1 + row, j)
        seg = (row - 2) % 6
        return gain, ("oropt", pa + _SEG_FIRST[seg], pa + _SEG_LAST[seg], j, row >= 8)

    def _best_near_move(self, a: int) -> tuple[float, tuple]:
        """`best_move` on a long tour: the same 14 rows, priced only for the edges and gaps
        next to a's nearest stops."""
        m = self.m
        pa = int(self.pos[a])
        base = m + pa
        near = self.t3[base - 3 : base + 4]
        at = self.pos[self.neighbours[a]]
        cols = np.concatenate((at, at - 1)) % m  # the edge into and out of each neighbour
        width = len(cols)
        rows = self.D[near]
        dist = rows.take(np.concatenate((self.t3[m + cols], self.t3[m + 1 + cols])), axis=1)
        r = rows.take(near, axis=1).take(self.rm_local)
        removal = r[:6] + r[6:12] - r[12:]
        if pa < 3 or pa > m - 3:
            removal[(pa + _SEG_FIRST < 1) | (pa + _SEG_LAST > m - 1)] = -np.inf
        fixed = np.concatenate((self.e3[base - 1 : base + 1], removal, removal))
        gains = fixed[:, None] + self.E[cols]
        gains -= dist[_X, :width]
        gains -= dist[_Y, width:]
        rel = (cols - pa + m // 2) % m - m // 2
        gains[(rel >= self.void_lo) & (rel <= self.void_hi)] = -np.inf
        best = int(gains.argmax())
        row, c = divmod(best, width)
        gain = float(gains.flat[best])
        j = int(cols[c])
        if row < 2:
            return gain, ("2opt", pa - 1 + row, j)
        seg = (row - 2) % 6
        return gain, ("oropt", pa + _SEG_FIRST[seg], pa + _SEG_LAST[seg], j, row >= 8)

    def apply(self, move: tuple) -> list[int]:
        """Make the move; return the stops whose edges changed."""
        t = self.t
        if move[0] == "2opt":
            i, j = sorted(move[1:])
            touched = [t[i], t[i + 1], t[j], t[(j + 1) % self.m]]
            t[i + 1 : j + 1] = t[i + 1 : j + 1][::-1].copy()
        else:
            _, s, e, j, reverse = move
            touched = [t[s - 1], t[s], t[e], t[(e + 1) % self.m], t[j], t[(j + 1) % self.m]]
            seg = t[s : e + 1]
            if reverse:
                seg = seg[::-1]
            rest = np.concatenate((t[:s], t[e + 1 :]))
            at = j + 1 if j < s else j + 1 - (e + 1 - s)
            self.t = np.concatenate((rest[:at], seg, rest[at:]))
        self._changed()
        return [int(v) for v in touched]

    def local_search(self, dirty: list[int]) -> None:
        """2-opt + Or-opt until no move involving a dirty stop shortens the tour."""
        queued = np.zeros(self.m, dtype=bool)
        queue: deque[int] = deque()

        def push(v: int) -> None:
            if v != self.dummy and not queued[v]:
                queued[v] = True
                queue.append(v)

        for v in dirty:
            push(v)
        while queue:
            a = queue.popleft()
            queued[a] = False
            gain, move = self.best_move(a)
            if gain > _EPS:
                for v in self.apply(move):
                    push(v)
                push(a)

    def kick(self, rng: np.random.Generator) -> list[int]:
        """Local double bridge: two neighbouring segments of up to 50 stops swap places."""
        m = self.m
        width = max(1, min(_KICK_WIDTH, (m - 2) // 3))
        l1, l2 = (int(v) for v in rng.integers(1, width + 1, size=2))
        p = int(rng.integers(0, m - l1 - l2))  # t[p] | B = t[p+1..p+l1] | C | t[q+1]
        q = p + l1 + l2
        t = self.t
        touched = [t[p], t[p + 1], t[p + l1], t[p + l1 + 1], t[q], t[(q + 1) % m]]
        self.t = np.concatenate(
            (t[: p + 1], t[p + l1 + 1 : q + 1], t[p + 1 : p + l1 + 1], t[q + 1 :])
        )
        self._changed()
        return [int(v) for v in touched]


def _nearest_neighbour(cost: np.ndarray) -> np.ndarray:
    """Greedy path from the most eccentric stop (largest total distance to the others)."""
    n = len(cost)
    current = int(np.argmax(cost.sum(axis=1)))
    free = np.ones(n, dtype=bool)
    path = np.empty(n, dtype=np.int64)
    for i in range(n):
        path[i] = current
        free[current] = False
        if i + 1 < n:
            row = np.where(free, cost[current], np.inf)
            current = int(np.argmin(row))
    return path


def _brute_force(cost: np.ndarray) -> np.ndarray:
    n = len(cost)
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    lengths = cost[perms[:, :-1], perms[:, 1:]].sum(axis=1)
    return perms[int(np.argmin(lengths))]


def _kick_budget(n: int, effort: float) -> int:
    """Kicks for n stops: one per stop up to 200 stops (at least 100: short lists are cheap),
    half a kick per further stop (each costs more on a longer tour), at most 400 (reached at
    600 stops). About 35 ms at 100 doors and 0.25 s at 500 on this project's 2-core machine,
    and lists of whole turfs stay near linear."""
    kicks = max(100, _KICKS_PER_STOP * n) if n <= 200 else 200 + 0.5 * (n - 200)
    return round(effort * min(kicks, _MAX_KICKS))


def _solve(cost: np.ndarray, settings: RouteSettings) -> np.ndarray:
    """An open path (order of stop indices) through all stops of the symmetric `cost`."""
    n = len(cost)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    if n <= _BRUTE_FORCE_MAX:
        return _brute_force(cost)
    started = time.perf_counter()
    tour = _Tour(cost, _nearest_neighbour(cost))
    tour.local_search([int(v) for v in tour.t[1:]])
    best_t, best_len = tour.t.copy(), tour.length()
    rng = np.random.default_rng(settings.seed)
    for _ in range(_kick_budget(n, settings.effort)):
        if time.perf_counter() - started > settings.max_seconds:
            break
        tour.local_search(tour.kick(rng))
        length = tour.length()
        if length < best_len - _EPS:
            best_t, best_len = tour.t.copy(), length
        else:
            tour.set(best_t.copy())
    return best_t[1:]


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
        x, y = _project(lon[doors], lat[doors])
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

    stop_order = _solve(cost, settings)
    rank_of_stop = np.empty(len(stop_order), dtype=np.int64)
    rank_of_stop[stop_order] = np.arange(len(stop_order))
    walk = doors[np.argsort(rank_of_stop[stop_of], kind="stable")]
    order = np.concatenate((walk, unlocated)).astype(np.int64)
    distance = route_length(order, lon, lat, side, settings=settings, distances=distances)
    return Route(order=order, distance_m=distance)
