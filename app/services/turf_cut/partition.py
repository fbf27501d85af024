"""The turf cut's partition (`turf_cut`): door locations -> turfs of balanced door counts,
compact, in a spatially coherent numbering.

1. `_building_turfs`: a location holding more doors than an ordinary turf's share (a big
   apartment building) is a turf of its own.
2. The other turfs get `n // k` or `n // k + 1` doors. Recursive bisection along the principal
   axis (weighted PCA) splits the locations by door count, the two sides getting turf counts
   `k // 2` and `k - k // 2` and door targets in proportion, until every region holds one
   turf: a balanced partition and a starting centre per turf.
3. Regions of at most `_LEAF_TURFS` turfs (the bisection tree's highest nodes of that size)
   are improved independently by balanced Lloyd iterations: locations go to the turf centres
   by a power assignment priced so that every turf holds about the region's mean door count
   (`_priced_assignment`), the centres move to their doors' mean, until nothing moves. A
   second pass does the same on regions cut across the first ones' boundaries (the turf
   centres bisected again, the first axis turned by 90 degrees), so that turfs along a
   first-pass region boundary can trade doors too.

Exact balance and one-piece turfs are then restored on the cells' graph (`repair`).
Deterministic: no randomness anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.services.turf_cut.budget import UNLIMITED, CutBudget

_LEAF_TURFS = 8  # turfs per region of the balanced Lloyd step
_LLOYD_ITERATIONS = 10
_PRICE_SWEEPS = 30
_STACK_SLACK = 0.05  # how far a turf may be overfilled by a stack at its margin


def _principal_axis(xy: np.ndarray, w: np.ndarray, turn: bool) -> np.ndarray:
    centre = np.average(xy, axis=0, weights=w)
    d = xy - centre
    cov = (d * w[:, None]).T @ d
    values, vectors = np.linalg.eigh(cov)
    axis = vectors[:, 1] if values[1] > values[0] * (1 + 1e-9) else np.array([1.0, 0.0])
    if turn:
        axis = np.array([-axis[1], axis[0]])
    if axis[0] < 0 or (axis[0] == 0 and axis[1] < 0):  # a fixed sign: deterministic
        axis = -axis
    return axis


def _split_targets(total: int, k: int, q: int) -> tuple[int, int, int]:
    """Turf counts and the first side's door target for a region of `total` doors, k turfs."""
    k1 = k // 2
    k2 = k - k1
    t1 = round(total * k1 / k)
    t1 = min(max(t1, k1 * q, total - k2 * (q + 1)), k1 * (q + 1), total - k2 * q)
    return k1, k2, t1


def _bisect(
    xy: np.ndarray, w: np.ndarray, idx: np.ndarray, k: int, q: int, turn: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Split locations `idx` into the two sides of a region holding k turfs. Returns the
    index arrays of the sides (the first with k // 2 turfs)."""
    k1, _k2, t1 = _split_targets(int(w[idx].sum()), k, q)
    axis = _principal_axis(xy[idx], w[idx], turn)
    proj = xy[idx] @ axis
    order = idx[np.lexsort((idx, proj))]
    cum = np.cumsum(w[order])
    m = len(order)
    # cut after position c (c locations on the first side); each side needs a location per turf
    lo_c, hi_c = k1, m - (k - k1)
    c = int(np.searchsorted(cum, t1))  # cum[c] >= t1
    if c < m and cum[c] != t1 and c > 0 and abs(cum[c - 1] - t1) <= abs(cum[c] - t1):
        c -= 1
    c = min(max(c + 1, lo_c), hi_c)
    return order[:c], order[c:]


@dataclass
class _Node:
    idx: np.ndarray  # locations
    k: int
    children: tuple[_Node, _Node] | None = None
    turf: int = -1  # for leaves (k == 1)


def _build_tree(
    xy: np.ndarray, w: np.ndarray, idx: np.ndarray, k: int, q: int, turn: bool = False
) -> _Node:
    node = _Node(idx, k)
    if k > 1:
        a, b = _bisect(xy, w, idx, k, q, turn)
        node.children = (
            _build_tree(xy, w, a, k // 2, q),
            _build_tree(xy, w, b, k - k // 2, q),
        )
    return node


def _leaves(node: _Node) -> list[_Node]:
    if node.children is None:
        return [node]
    return _leaves(node.children[0]) + _leaves(node.children[1])


def _regions(node: _Node, size: int) -> list[_Node]:
    """The tree's highest nodes holding at most `size` turfs."""
    if node.k <= size or node.children is None:
        return [node]
    return _regions(node.children[0], size) + _regions(node.children[1], size)


def _centres(xy: np.ndarray, w: np.ndarray, label: np.ndarray, k: int) -> np.ndarray:
    """Each turf's door-weighted mean point (every turf holds a location)."""
    centres = np.zeros((k, 2))
    np.add.at(centres, label, xy * w[:, None])
    return centres / np.bincount(label, weights=w, minlength=k)[:, None]


def _priced_assignment(
    cost: np.ndarray, w: np.ndarray, price: np.ndarray, target: float
) -> np.ndarray:
    """Locations -> turfs, each turf holding about `target` doors: a power assignment
    (location i goes to the turf minimising cost[i, j] - price[j]), `price` (updated in place,
    so that the next Lloyd iteration starts from it) found by coordinate ascent on the dual of
    the transportation problem: each step sets one turf's price so that it holds the target,
    the others' prices fixed. A few vector operations per step, so regions of a dozen turfs
    stay cheap; the balance is made exact on the cells' graph afterwards (`repair`)."""
    m, k = cost.shape
    cap = target + max(1.0, _STACK_SLACK * target)
    reduced = cost - price[None, :]
    assigned: np.ndarray = np.argmin(reduced, axis=1)
    for _ in range(_PRICE_SWEEPS):
        for j in range(k):
            reduced[:, j] = np.inf
            theta = cost[:, j] - reduced.min(axis=1)  # i joins j when price[j] > theta[i]
            order = np.argsort(theta, kind="stable")
            cum = np.cumsum(w[order])
            # the count of locations nearest the target, unless a stack at the margin would
            # overfill the turf by more than the slack: a neighbour takes it then
            r = min(int(np.searchsorted(cum, target)), m - 1)  # first r with cum[r] >= target
            if r > 0 and (target - cum[r - 1] <= cum[r] - target or cum[r] > cap):
                r -= 1
            upper = theta[order[r + 1]] if r + 1 < m else theta[order[r]] + 1.0
            price[j] = (theta[order[r]] + upper) / 2
            reduced[:, j] = cost[:, j] - price[j]
        new = np.argmin(reduced, axis=1)
        if (new == assigned).all():
            break
        assigned = new
    return assigned


def _lloyd(
    xy: np.ndarray, w: np.ndarray, idx: np.ndarray, turfs: np.ndarray, label: np.ndarray
) -> None:
    """Balanced Lloyd iterations on locations `idx` among `turfs` (in place): assign the
    locations to the turf centres by `_priced_assignment`, move the centres to their doors'
    mean, until nothing moves."""
    k = len(turfs)
    if k < 2:
        return
    sub_xy, sub_w = xy[idx], w[idx]
    target = float(sub_w.sum()) / k
    # squared distances in units of the region's extent, so that prices carry over between
    # iterations
    scale = max(float(np.ptp(sub_xy, axis=0).max()) ** 2, 1e-9)
    price = np.zeros(k)
    local = np.searchsorted(turfs, label[idx])
    for _ in range(_LLOYD_ITERATIONS):
        centres = _centres(sub_xy, sub_w, local, k)
        cost = ((sub_xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) / scale
        new = _priced_assignment(cost, sub_w, price, target)
        if (new == local).all():
            break
        if (np.bincount(new, minlength=k) == 0).any():
            break  # stacked doors would leave a turf empty: keep the last good assignment
        local = new
    label[idx] = turfs[local]


def _building_turfs(w: np.ndarray, k: int) -> np.ndarray:
    """Locations holding more doors than an ordinary turf's share: each becomes a turf of its
    own (a big apartment building is walked as a turf by itself).

    Doors at one point are never split, so such a turf is over the mean whatever else it gets;
    giving it nothing else lets every other turf sit at the mean of the rest instead of the
    overflow falling on its neighbours. The share is taken after removing the bigger ones
    (a fixed point), and at least one ordinary turf always remains."""
    order = np.argsort(-w, kind="stable")
    n = int(w.sum())
    taken = 0
    while taken < k - 1:
        share = (n - int(w[order[:taken]].sum())) / (k - taken)
        if w[order[taken]] <= share:
            break
        taken += 1
    return np.sort(order[:taken])


def partition(
    xy: np.ndarray, w: np.ndarray, k: int, budget: CutBudget = UNLIMITED
) -> tuple[np.ndarray, np.ndarray]:
    """A turf label per location, numbered in the bisection's (spatially coherent) order, and
    the building turfs' numbers."""
    big = _building_turfs(w, k)
    rest = np.setdiff1d(np.arange(len(xy)), big)
    k_rest = k - len(big)
    label = np.full(len(xy), -1, dtype=np.int64)
    label[rest] = _partition_even(xy[rest], w[rest], k_rest, budget)
    if len(big) == 0:
        return label, big
    # a building turf is numbered right after the ordinary turf whose centre is nearest
    centres = _centres(xy[rest], w[rest], label[rest], k_rest)
    near = np.argmin(((xy[big][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    # sort keys: ordinary turf t -> (t, 0, 0); building b after turf near[b] -> (near[b], 1, b)
    keys = [(t, 0, 0) for t in range(k_rest)] + [(int(near[b]), 1, b) for b in range(len(big))]
    order = sorted(range(k), key=lambda i: keys[i])
    number = np.empty(k, dtype=np.int64)
    number[order] = np.arange(k)
    label[big] = np.arange(k_rest, k)
    return number[label], np.sort(number[k_rest:])


def _partition_even(xy: np.ndarray, w: np.ndarray, k: int, budget: CutBudget) -> np.ndarray:
    """A turf label per location, every turf holding floor/ceil(n / k) doors where the
    stacked locations allow."""
    n = int(w.sum())
    q = n // k
    label = np.empty(len(xy), dtype=np.int64)
    all_idx = np.arange(len(xy))
    tree = _build_tree(xy, w, all_idx, k, q)
    for t, leaf in enumerate(_leaves(tree)):
        label[leaf.idx] = t
    for region in _regions(tree, _LEAF_TURFS):
        budget.check()
        turfs = np.unique(label[region.idx])
        _lloyd(xy, w, region.idx, turfs, label)
    if k > _LEAF_TURFS:
        # second pass: regions across the first pass's boundaries
        centres = _centres(xy, w, label, k)
        ctree = _build_tree(centres, np.ones(k), np.arange(k), k, 1, turn=True)
        for region in _regions(ctree, _LEAF_TURFS):
            budget.check()
            turfs = np.sort(region.idx)
            idx = np.flatnonzero(np.isin(label, turfs))
            _lloyd(xy, w, idx, turfs, label)
    return label
