"""Automatic turf cutting: split an area's doors into balanced, compact, contiguous turfs.

Pure numpy/scipy/shapely (no database, no I/O), so the API can run it in a worker thread.

The method:

1. Project to local metres (equirectangular around the doors' mean point; linear, so straight
   edges stay straight) and merge doors at an identical point into one weighted *location*:
   such doors are indivisible and always land in the same turf.
2. Every turf gets a door target: `n // k` or `n // k + 1`. Recursive bisection along the
   principal axis (weighted PCA) splits the locations by door count, the two sides getting
   turf counts `k // 2` and `k - k // 2` and door targets in proportion, until every region
   holds one turf. This gives a balanced partition and a starting centre per turf.
3. Regions of at most `_LEAF_TURFS` turfs (the bisection tree's nodes just above that size)
   are then improved independently by capacity-constrained Lloyd iterations: assign the
   region's locations to its turfs minimising the squared distance to the turf centres with
   every turf holding floor/ceil of the region's mean door count (a linear assignment with
   capacity slots, or a transportation LP when locations hold several doors), recompute the
   centres, repeat until stable. A second pass does the same on regions cut across the first
   ones' boundaries (the turf centres bisected again, the first axis turned by 90 degrees), so
   that turfs along a first-pass region boundary can trade doors too.
4. Polygons: the Voronoi cells of the distinct locations (each location strictly inside its
   own cell), merged per turf and clipped to the area. A turf that falls apart into pieces
   inside a one-piece area is repaired where possible by handing a stray piece's locations to
   a neighbouring turf and taking back as many doors from that turf elsewhere (see
   `repair_pieces`); what cannot be repaired is counted in `noncontiguous_turfs`.

Deterministic: no randomness anywhere; the same input gives the same turfs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from app.services.routing import RouteSettings, plan_route
from app.services.turf_shapes import (
    Projection,
    adjacency,
    cells,
    n_parts,
    polygonal,
    repair_pieces,
    turf_geometries,
)

_LEAF_TURFS = 6  # turfs per region of the capacity-constrained Lloyd step
_LLOYD_ITERATIONS = 10
ROUTE_SETTINGS = RouteSettings(effort=0.0)


class TurfCountError(ValueError):
    """The turf count cannot be met by these doors (as opposed to an unusable area)."""


@dataclass(frozen=True)
class CutTurf:
    """doors: sorted indices into the input points. geometry: Polygon/MultiPolygon in lon/lat.
    compactness: Polsby-Popper 4*pi*A/P^2 in local metres (1 for a disc)."""

    doors: np.ndarray
    geometry: BaseGeometry
    door_count: int
    walk_m: float
    compactness: float


@dataclass(frozen=True)
class CutResult:
    turfs: list[CutTurf]
    metrics: dict


# ---------------------------------------------------------------------------------------------
# Inputs and projection


def _validate(lon: np.ndarray, lat: np.ndarray, area: BaseGeometry, turf_count: int) -> None:
    if isinstance(turf_count, bool) or int(turf_count) != turf_count:
        raise TurfCountError("turf_count must be an integer")
    if turf_count < 1:
        raise TurfCountError("turf_count must be at least 1")
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-d arrays of the same length")
    if len(lon) == 0:
        raise ValueError("the area holds no doors")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("door coordinates must be finite numbers")
    if turf_count > len(lon):
        raise TurfCountError(
            f"turf_count ({turf_count}) is larger than the number of doors ({len(lon)})"
        )
    if area is None or area.is_empty:
        raise ValueError("the area is empty")
    if area.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"the area must be a Polygon or MultiPolygon, not {area.geom_type}")
    if not area.is_valid:
        raise ValueError(f"the area is not a valid polygon: {shapely.is_valid_reason(area)}")
    if area.area <= 0:
        raise ValueError("the area has no surface")
    outside = ~shapely.covers(area, shapely.points(lon, lat))
    if outside.any():
        raise ValueError(f"{int(outside.sum())} doors lie outside the area")


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


def _assign(
    xy: np.ndarray, w: np.ndarray, centres: np.ndarray, lo: int, hi: int, unit: bool
) -> np.ndarray:
    """Each location -> a turf (0..k-1) minimising the weighted squared distance to the turf
    centres, every turf holding lo..hi doors (total = sum(w))."""
    k = len(centres)
    cost = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)  # m x k
    if k == 1:
        return np.zeros(len(xy), dtype=np.int64)
    total = int(w.sum())
    if unit:
        # capacity slots: lo regular slots per turf (all filled: they carry a bonus) and
        # hi - lo extra slots per turf
        cols = np.concatenate([np.repeat(np.arange(k), lo), np.repeat(np.arange(k), hi - lo)])
        bonus = np.concatenate([np.full(k * lo, cost.max() * 4 + 1.0), np.zeros(k * (hi - lo))])
        matrix = cost[:, cols] - bonus[None, :]
        rows, chosen = linear_sum_assignment(matrix)
        out = np.empty(len(xy), dtype=np.int64)
        out[rows] = cols[chosen]
        return out
    # transportation LP (totally unimodular: a vertex solution is integral; a location only
    # splits when its doors cannot all fit, and then goes where most of its doors went)
    m = len(xy)
    var = np.arange(m * k)
    a_eq = sparse.csr_matrix((np.ones(m * k), (var // k, var)), shape=(m, m * k))
    turf_rows = sparse.csr_matrix((np.ones(m * k), (var % k, var)), shape=(k, m * k))
    a_ub = sparse.vstack([turf_rows, -turf_rows]).tocsr()
    b_ub = np.concatenate([np.full(k, hi), np.full(k, -lo)])
    res = linprog(
        (cost * w[:, None]).ravel() / max(cost.max(), 1e-9),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=w.astype(float),
        bounds=(0, None),
        method="highs-ds",
    )
    if res.status != 0 or total < k * lo or total > k * hi:  # pragma: no cover - safety net
        return np.argmin(cost, axis=1)
    return np.argmax(res.x.reshape(m, k), axis=1)


def _lloyd(
    xy: np.ndarray, w: np.ndarray, idx: np.ndarray, turfs: np.ndarray, label: np.ndarray
) -> None:
    """Capacity-constrained Lloyd iterations on locations `idx` among `turfs`, in place."""
    k = len(turfs)
    if k < 2:
        return
    sub_xy, sub_w = xy[idx], w[idx]
    total = int(sub_w.sum())
    lo, hi = total // k, -(-total // k)
    unit = bool((sub_w == 1).all())
    local = np.searchsorted(turfs, label[idx])
    for _ in range(_LLOYD_ITERATIONS):
        centres = np.zeros((k, 2))
        np.add.at(centres, local, sub_xy * sub_w[:, None])
        sizes = np.bincount(local, weights=sub_w, minlength=k)
        if (sizes == 0).any():
            break
        centres /= sizes[:, None]
        new = _assign(sub_xy, sub_w, centres, lo, hi, unit)
        if (new == local).all():
            break
        if not unit and (np.bincount(new, minlength=k) == 0).any():
            break  # stacked doors would leave a turf empty: keep the last good assignment
        local = new
    label[idx] = turfs[local]


def _partition(xy: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """A turf label per location."""
    n = int(w.sum())
    q = n // k
    label = np.empty(len(xy), dtype=np.int64)
    all_idx = np.arange(len(xy))
    tree = _build_tree(xy, w, all_idx, k, q)
    for t, leaf in enumerate(_leaves(tree)):
        label[leaf.idx] = t
    for region in _regions(tree, _LEAF_TURFS):
        turfs = np.unique(label[region.idx])
        _lloyd(xy, w, region.idx, turfs, label)
    if k > _LEAF_TURFS:
        # second pass: regions across the first pass's boundaries
        centres = np.zeros((k, 2))
        np.add.at(centres, label, xy * w[:, None])
        sizes = np.bincount(label, weights=w, minlength=k)
        centres /= sizes[:, None]
        ctree = _build_tree(centres, np.ones(k), np.arange(k), k, 1, turn=True)
        for region in _regions(ctree, _LEAF_TURFS):
            turfs = np.sort(region.idx)
            idx = np.flatnonzero(np.isin(label, turfs))
            _lloyd(xy, w, idx, turfs, label)
    return label


# ---------------------------------------------------------------------------------------------
# The cut


def _metric_area_perimeter(geom: BaseGeometry) -> tuple[float, float]:
    return float(geom.area), float(geom.length)


def cut_turfs(lon: np.ndarray, lat: np.ndarray, area: BaseGeometry, turf_count: int) -> CutResult:
    """Split the doors at (lon, lat) (WGS84 degrees, one entry per door; doors of one building
    share a point) inside `area` (Polygon/MultiPolygon, lon/lat) into `turf_count` turfs.

    Raises TurfCountError (a ValueError) for turf_count < 1 or above the number of doors or of
    distinct door points; ValueError for no doors, doors outside the area, and an empty or
    invalid area. The message says why.
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    _validate(lon, lat, area, turf_count)
    k = int(turf_count)
    n = len(lon)

    # distinct locations (exact coordinates): stacked doors are one weighted location
    keys, inverse, counts = np.unique(
        np.column_stack([lon, lat]), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    if k > len(keys):
        raise TurfCountError(
            f"turf_count ({k}) is larger than the number of distinct door locations "
            f"({len(keys)}): doors at one point cannot be split between turfs"
        )
    proj = Projection.around(keys[:, 0], keys[:, 1])
    xy = proj.forward(keys)
    w = counts.astype(np.int64)

    label = _partition(xy, w, k)

    area_m = shapely.transform(area, proj.forward)
    if not area_m.is_valid:  # pragma: no cover - rounding in the (linear) projection
        area_m = shapely.make_valid(area_m)
    cell_of = cells(xy, area_m)
    geoms_m = turf_geometries(cell_of, label, k, area_m)
    area_parts = len(shapely.get_parts(area_m)) if area_m.geom_type == "MultiPolygon" else 1
    if area_parts == 1 and k > 1 and any(n_parts(g) > 1 for g in geoms_m):
        repair_pieces(xy, w, label, k, adjacency(xy, cell_of, area_m))
        geoms_m = turf_geometries(cell_of, label, k, area_m)

    door_label = label[inverse]
    turfs: list[CutTurf] = []
    for t in range(k):
        doors = np.flatnonzero(door_label == t)
        g_m = geoms_m[t]
        a, p = _metric_area_perimeter(g_m)
        compactness = 4 * math.pi * a / (p * p) if p > 0 else 0.0
        g = polygonal(shapely.intersection(shapely.transform(g_m, proj.inverse), area))
        if g.geom_type == "Polygon":
            pass
        elif g.is_empty:  # pragma: no cover
            g = MultiPolygon()
        route = plan_route(lon[doors], lat[doors], settings=ROUTE_SETTINGS)
        turfs.append(
            CutTurf(
                doors=doors,
                geometry=g,
                door_count=len(doors),
                walk_m=float(route.distance_m),
                compactness=float(compactness),
            )
        )
    return CutResult(turfs=turfs, metrics=_metrics(turfs, geoms_m, area_m, n, int(w.max())))


def _metrics(
    turfs: list[CutTurf], geoms_m: list[BaseGeometry], area_m: BaseGeometry, n: int, stack: int
) -> dict:
    sizes = np.array([t.door_count for t in turfs])
    k = len(turfs)
    mean = n / k
    union = shapely.coverage_union_all(geoms_m) if k > 1 else geoms_m[0]
    overlap = max(0.0, float(sum(g.area for g in geoms_m) - union.area))
    assigned = int(sizes.sum())
    pieces = [n_parts(t.geometry) for t in turfs]
    within_one = int(sizes.max() - sizes.min()) <= 1
    metrics = {
        "doors": n,
        "turfs": k,
        "min_doors": int(sizes.min()),
        "max_doors": int(sizes.max()),
        "mean_doors": mean,
        "imbalance": float(sizes.max() / mean),
        "overlap_m2": overlap,
        "unassigned_doors": n - assigned,
        "noncontiguous_turfs": int(sum(1 for p in pieces if p > 1)),
        "mean_compactness": float(np.mean([t.compactness for t in turfs])),
        "total_walk_m": float(sum(t.walk_m for t in turfs)),
        "uncovered_m2": max(0.0, float(area_m.area - union.area)),
        "largest_stack": stack,
        "balanced_within_one": within_one,
    }
    if not within_one and stack > 1:
        metrics["note"] = (
            f"balance within one door was not reached: up to {stack} doors share one point "
            "(a building) and doors at one point are never split between turfs"
        )
    return metrics
