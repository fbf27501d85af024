"""The route search: an open path through all stops of a cost matrix, as short as a fixed,
deterministic budget finds (`route_planner` builds the matrix and the stops).

Nearest neighbour, then 2-opt and Or-opt local search driven by a queue of "dirty" stops
(don't-look bits), where each stop's candidate moves (2-opt on its two edges against every
edge, and moving each segment of 1-3 stops that contains it to every gap, both orientations)
are priced in one numpy array operation. Then iterated local search: a local double-bridge kick
(two short neighbouring segments swapped), local search around the kick, kept if shorter. The
kicks come from a fixed-seed RNG and their number is a fixed budget that scales with the number
of stops, so the same input always gives the same route; `max_seconds` is only a safety net far
above the normal running time. Up to 7 stops every order is tried. Above 1,000 stops (whole
turfs) moves are priced against each stop's 12 nearest stops only, and the kick budget stops
growing, so time stays near linear (memory is a stops x stops matrix).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.services.walk_lists.route_planner import RouteSettings

_EPS = 1e-7  # metres: smaller gains are rounding noise, never worth a move
_BRUTE_FORCE_MAX = 7  # up to this many stops every order is tried (7! = 5040)
_KICKS_PER_STOP = 1.0  # up to 200 stops
_MAX_KICKS = 400  # larger lists (whole turfs) get no more kicks
_FULL_MAX = 1000  # up to this many stops every move is priced; above, near neighbours only
_NEIGHBOURS = 12
_KICK_WIDTH = 50  # longest segment a kick moves


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


# A move: ("2opt", i, j) reverses the tour between positions i+1 and j; ("oropt", s, e, j,
# reverse) moves the segment s..e (reversed or not) into the gap after position j.
Move = tuple[str, int, int] | tuple[str, int, int, int, bool]


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
            index: np.ndarray = r * (m + 1) + (q - 3) % m
            return index

        prev, first = _SEG_FIRST + 2, _SEG_FIRST + 3
        last, after = _SEG_LAST + 3, _SEG_LAST + 4
        self.rm = np.concatenate((flat(prev, first), flat(last, after), flat(prev, after)))
        # Long tours: a stop's moves only join it to its nearest stops (and the dummy).
        self.neighbours: np.ndarray | None = None
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

    def best_move(self, a: int) -> tuple[float, Move]:
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

    def _best_near_move(self, a: int) -> tuple[float, Move]:
        """`best_move` on a long tour: the same 14 rows, priced only for the edges and gaps
        next to a's nearest stops."""
        m = self.m
        pa = int(self.pos[a])
        base = m + pa
        near = self.t3[base - 3 : base + 4]
        assert self.neighbours is not None
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

    def apply(self, move: Move) -> list[int]:
        """Make the move; return the stops whose edges changed."""
        t = self.t
        if move[0] == "2opt":
            i, j = sorted(move[1:])
            touched = [t[i], t[i + 1], t[j], t[(j + 1) % self.m]]
            t[i + 1 : j + 1] = t[i + 1 : j + 1][::-1].copy()
        else:
            assert len(move) == 5
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
    best: np.ndarray = perms[int(np.argmin(lengths))]
    return best


def _kick_budget(n: int, effort: float) -> int:
    """Kicks for n stops: one per stop up to 200 stops (at least 100: short lists are cheap),
    half a kick per further stop (each costs more on a longer tour), at most 400 (reached at
    600 stops), so that lists of whole turfs stay near linear (`make bench-route` prints the
    times)."""
    kicks = max(100, _KICKS_PER_STOP * n) if n <= 200 else 200 + 0.5 * (n - 200)
    return round(effort * min(kicks, _MAX_KICKS))


def solve(cost: np.ndarray, settings: RouteSettings) -> np.ndarray:
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
