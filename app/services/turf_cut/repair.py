"""Repairs after the turf cut's partition (`turf_cut`): turfs in one piece, sizes back in
balance.

The partition balances door counts and keeps turfs compact, but it works on points: a turf's
merged Voronoi cells can still fall apart into a main body and a few stray cells along a
boundary, or around a pond or a park that the area's outline cuts out. And doors stacked at
one point (apartment buildings) keep some turfs a few doors off the mean.

Both are fixed on the cells' adjacency graph (locations whose clipped cells share a border):

1. `merge_strays`: every stray piece (a turf's connected parts but the one with most doors)
   joins the neighbouring turf's main body with which it shares most borders. The count of
   pieces only goes down, so this ends.
2. `rebalance`: while an ordinary turf is outside floor/ceil of the ordinary turfs' mean,
   doors are passed along the shortest chain of neighbouring turfs from one with too many to
   one with too few, each link giving border locations (the ones that suit the taker best)
   whose loss leaves the giver in no more pieces than before. A chain that does not reduce the
   total excess is undone and not tried again.

Building turfs (a single location holding more doors than a turf's share, see
`partition._building_turfs`) are never given doors nor take any.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from app.services.turf_cut.budget import UNLIMITED, CutBudget


class LocationGraph:
    """The adjacency of the locations' clipped cells, as neighbour lists for fast walks."""

    def __init__(self, graph: sparse.csr_matrix) -> None:
        graph = graph.tocsr()
        self.matrix = graph
        self.rows, self.cols = graph.nonzero()
        self.neighbours: list[list[int]] = [
            graph.indices[graph.indptr[i] : graph.indptr[i + 1]].tolist()
            for i in range(graph.shape[0])
        ]

    def pieces(self, label: np.ndarray) -> np.ndarray:
        """The connected piece of every location within its own turf (ids 0..)."""
        same = label[self.rows] == label[self.cols]
        m = len(label)
        sub = sparse.coo_matrix(
            (np.ones(int(same.sum())), (self.rows[same], self.cols[same])), shape=(m, m)
        )
        return connected_components(sub, directed=False)[1]

    def turf_neighbours(self, label: np.ndarray, k: int) -> list[list[int]]:
        """Turfs sharing a border with each turf, in turf order."""
        a, b = label[self.rows], label[self.cols]
        keys = np.unique(a[a != b] * k + b[a != b])
        out: list[list[int]] = [[] for _ in range(k)]
        for a_, b_ in zip((keys // k).tolist(), (keys % k).tolist(), strict=True):
            out[a_].append(b_)
        return out

    def n_pieces(self, members: set[int]) -> int:
        """Connected pieces among `members` (a breadth-first walk; turfs are small)."""
        seen: set[int] = set()
        count = 0
        for start in sorted(members):
            if start in seen:
                continue
            count += 1
            seen.add(start)
            queue = deque([start])
            while queue:
                for j in self.neighbours[queue.popleft()]:
                    if j in members and j not in seen:
                        seen.add(j)
                        queue.append(j)
        return count


def merge_strays(
    graph: LocationGraph,
    w: np.ndarray,
    label: np.ndarray,
    k: int,
    fixed: np.ndarray,
    budget: CutBudget = UNLIMITED,
) -> None:
    """Give every stray piece to the neighbouring turf's main body (in place). Main: a turf's
    piece with most doors in each piece of the area (a turf spanning a river keeps a body on
    each bank). A building turf (`fixed`) never takes a piece: one that touches nothing else
    stays where it is (and is counted as a turf in pieces)."""
    is_fixed = np.zeros(k, dtype=bool)
    is_fixed[fixed] = True
    _n, region = connected_components(graph.matrix, directed=False)
    for _ in range(len(label)):
        budget.check()
        piece = graph.pieces(label)
        n_piece = int(piece.max()) + 1
        doors = np.bincount(piece, weights=w, minlength=n_piece)
        piece_turf = np.zeros(n_piece, dtype=np.int64)
        piece_turf[piece] = label
        group = np.zeros(n_piece, dtype=np.int64)  # (turf, area piece)
        group[piece] = label * (int(region.max()) + 1) + region
        # main piece per group: most doors, then the lowest piece id (deterministic)
        order = np.lexsort((np.arange(n_piece), -doors, group))
        first = np.ones(n_piece, dtype=bool)
        first[1:] = group[order][1:] != group[order][:-1]
        main = np.zeros(n_piece, dtype=bool)
        main[order[first]] = True
        if main.all():
            return
        # borders between a stray piece and another ordinary turf's main piece
        a, b = piece[graph.rows], piece[graph.cols]
        cross = ~main[a] & main[b] & (piece_turf[a] != piece_turf[b]) & ~is_fixed[piece_turf[b]]
        if not cross.any():
            return  # strays touch only strays or buildings
        pairs, counts = np.unique(np.column_stack([a[cross], b[cross]]), axis=0, return_counts=True)
        # per stray piece, the main piece with most shared borders (ties: lowest turf)
        pick = np.lexsort((piece_turf[pairs[:, 1]], -counts, pairs[:, 0]))
        pairs = pairs[pick]
        keep = np.ones(len(pairs), dtype=bool)
        keep[1:] = pairs[1:, 0] != pairs[:-1, 0]
        target = np.full(n_piece, -1, dtype=np.int64)
        target[pairs[keep, 0]] = piece_turf[pairs[keep, 1]]
        moving = target[piece] >= 0
        label[moving] = target[piece[moving]]


class _Turfs:
    """Turf membership during the rebalance: labels, member sets and door counts kept in step."""

    def __init__(self, graph: LocationGraph, w: np.ndarray, label: np.ndarray, k: int) -> None:
        self.graph, self.w, self.label, self.k = graph, w, label, k
        self.members: list[set[int]] = [set() for _ in range(k)]
        for i, t in enumerate(label.tolist()):
            self.members[t].add(i)
        self.size = np.bincount(label, weights=w, minlength=k).astype(np.int64)

    def give(self, i: int, giver: int, taker: int, pieces: int) -> bool:
        """Move location i unless the giver would be left empty or in more than `pieces`."""
        mine = self.members[giver]
        if len(mine) == 1:
            return False
        mine.discard(i)
        if self.graph.n_pieces(mine) > pieces:
            mine.add(i)
            return False
        self.members[taker].add(i)
        self.label[i] = taker
        self.size[giver] -= self.w[i]
        self.size[taker] += self.w[i]
        return True

    def restore(self, before: np.ndarray) -> None:
        for i in np.flatnonzero(self.label != before).tolist():
            self.members[self.label[i]].discard(i)
            self.members[before[i]].add(i)
        self.label[:] = before
        self.size[:] = np.bincount(before, weights=self.w, minlength=self.k)


def rebalance(
    graph: LocationGraph,
    xy: np.ndarray,
    w: np.ndarray,
    label: np.ndarray,
    k: int,
    fixed: np.ndarray,
    budget: CutBudget = UNLIMITED,
) -> None:
    """Bring every ordinary turf (not in `fixed`) to floor/ceil of their mean door count where
    chains of neighbouring turfs can pass the doors without splitting a turf (in place)."""
    ordinary = np.setdiff1d(np.arange(k), fixed)
    size = np.bincount(label, weights=w, minlength=k)[ordinary]
    if len(ordinary) < 2 or size.max() - size.min() <= 1:
        return
    turfs = _Turfs(graph, w, label, k)
    size = turfs.size
    total = int(size[ordinary].sum())
    lo, hi = total // len(ordinary), -(-total // len(ordinary))
    is_fixed = np.zeros(k, dtype=bool)
    is_fixed[fixed] = True

    def excess() -> int:
        return int(_outside(size[ordinary], lo, hi).sum())

    tried: set[tuple[int, int]] = set()  # chains (ends) that moved doors but did not help
    blocked: set[tuple[int, int]] = set()  # links (giver, taker) that could not give a door
    near = graph.turf_neighbours(label, k)
    for _ in range(16 * k):
        budget.check()
        current = excess()
        if current == 0:
            return
        chain = _next_chain(size, lo, hi, ordinary, is_fixed, near, tried, blocked)
        if chain is None:
            return
        before = label.copy()
        amount = max(min(int(size[chain[0]]) - lo, hi - int(size[chain[-1]])), 1)
        stuck = _pass_along(turfs, xy, chain, amount, lo, hi)
        if stuck is None and excess() < current:
            tried.clear()
            blocked.clear()
            near = graph.turf_neighbours(label, k)
            continue
        if stuck is not None:
            blocked.add(stuck)
        else:
            tried.add((chain[0], chain[-1]))
        turfs.restore(before)  # this chain does not help


def _outside(sizes: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """How many doors each turf holds above hi or below lo."""
    outside: np.ndarray = np.maximum(sizes - hi, 0) + np.maximum(lo - sizes, 0)
    return outside


def _next_chain(
    size: np.ndarray,
    lo: int,
    hi: int,
    ordinary: np.ndarray,
    is_fixed: np.ndarray,
    near: list[list[int]],
    tried: set[tuple[int, int]],
    blocked: set[tuple[int, int]],
) -> list[int] | None:
    """The shortest chain of neighbouring ordinary turfs (giver first) from a turf with doors
    to spare to one short of doors, over links not `blocked`, starting from the worst turf;
    None when every chain was tried."""
    badness = _outside(size[ordinary], lo, hi)
    for pos in np.lexsort((ordinary, -badness)).tolist():
        if badness[pos] == 0:
            return None
        t = int(ordinary[pos])
        over = size[t] > hi
        # an over-full turf gives to the nearest one short of doors (below lo), else below hi;
        # an under-full one takes from the nearest with doors to spare (above hi), else above lo
        parent = {t: t}
        queue = deque([t])
        found: list[list[int]] = []
        while queue:
            u = queue.popleft()
            if u != t and ((size[u] < hi) if over else (size[u] > lo)):
                path = [u]
                while path[-1] != t:
                    path.append(parent[path[-1]])
                chain = path[::-1] if over else path
                if (chain[0], chain[-1]) not in tried:
                    if (size[u] < lo) if over else (size[u] > hi):
                        return chain
                    found.append(chain)
            for v in near[u]:
                link = (u, v) if over else (v, u)
                if v not in parent and not is_fixed[v] and link not in blocked:
                    parent[v] = u
                    queue.append(v)
        if found:
            return found[0]
    return None


def _pass_along(
    turfs: _Turfs, xy: np.ndarray, chain: list[int], amount: int, lo: int, hi: int
) -> tuple[int, int] | None:
    """Each link of the chain (giver first) gives about `amount` doors of border locations to
    the next, not going far below `lo` itself; a link passes on what it received. Returns the
    first link that could not give a door, if any."""
    w, label, members = turfs.w, turfs.label, turfs.members
    for giver, taker in itertools.pairwise(chain):
        taker_list = sorted(members[taker])
        centre_t = np.average(xy[taker_list], axis=0, weights=w[taker_list])
        giver_list = sorted(members[giver])
        centre_g = np.average(xy[giver_list], axis=0, weights=w[giver_list])
        border = np.array(
            [i for i in giver_list if any(label[j] == taker for j in turfs.graph.neighbours[i])],
            dtype=np.int64,
        )
        # the locations that suit the taker best (least added squared distance) first, within
        # the amount; failing any, the lightest one even if it overshoots (a border of stacked
        # doors cannot pass a single door)
        gain = ((xy[border] - centre_t) ** 2).sum(axis=1) - ((xy[border] - centre_g) ** 2).sum(
            axis=1
        )
        pieces = turfs.graph.n_pieces(members[giver])
        moved = 0
        for i in border[np.lexsort((border, gain))].tolist():
            if w[i] <= amount - moved and turfs.give(i, giver, taker, pieces):
                moved += int(w[i])
                if moved == amount:
                    break
        if moved == 0:
            # as far below the floor as the taker is below the ceiling: the chain's check
            # keeps it only if the total excess falls
            spare = int(turfs.size[giver]) - lo + max(0, hi - int(turfs.size[taker]))
            lightest = border[np.lexsort((border, gain, w[border]))].tolist()
            moved = next(
                (
                    int(w[i])
                    for i in lightest
                    if w[i] <= spare and turfs.give(i, giver, taker, pieces)
                ),
                0,
            )
        if moved == 0:
            return giver, taker
        amount = moved
    return None
