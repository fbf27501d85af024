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
   `_repair_pieces`); what cannot be repaired is counted in `noncontiguous_turfs`.

Deterministic: no randomness anywhere; the same input gives the same turfs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse.csgraph import connected_components, shortest_path
from scipy.spatial import Delaunay, QhullError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from app.services.routing import RouteSettings, plan_route

EARTH_RADIUS_M = 6_371_008.8
_LEAF_TURFS = 6  # turfs per region of the capacity-constrained Lloyd step
_LLOYD_ITERATIONS = 10
_ROUTE_SETTINGS = RouteSettings(effort=0.0)


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
        raise ValueError("turf_count must be an integer")
    if turf_count < 1:
        raise ValueError("turf_count must be at least 1")
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-d arrays of the same length")
    if len(lon) == 0:
        raise ValueError("the area holds no doors")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("door coordinates must be finite numbers")
    if turf_count > len(lon):
        raise ValueError(
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


@dataclass(frozen=True)
class _Projection:
    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray) -> _Projection:
        lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
        ky = math.pi / 180 * EARTH_RADIUS_M
        return cls(lon0, lat0, ky * math.cos(math.radians(lat0)), ky)

    def forward(self, coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(coords[:, 0] - self.lon0) * self.kx, (coords[:, 1] - self.lat0) * self.ky]
        )

    def inverse(self, coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [coords[:, 0] / self.kx + self.lon0, coords[:, 1] / self.ky + self.lat0]
        )


# ---------------------------------------------------------------------------------------------
# Balanced assignment


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
# Polygons


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def _cells(xy: np.ndarray, area_m: BaseGeometry) -> np.ndarray:
    """The Voronoi cell (metres) of each distinct location, in input order, covering area_m."""
    minx, miny, maxx, maxy = area_m.union(shapely.multipoints(xy)).bounds
    pad = max(maxx - minx, maxy - miny, 1.0)
    extent = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    if len(xy) == 1:
        return np.array([extent])
    cells = np.array(
        shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True)
        )
    )
    if len(cells) != len(xy) or not shapely.contains(cells, shapely.points(xy)).all():
        # pragma: no cover - GEOS snapped nearly coincident points; match cells by containment
        tree = shapely.STRtree(cells)
        pts = shapely.points(xy)
        fixed = np.empty(len(xy), dtype=object)
        for i, p in enumerate(pts):
            hits = tree.query(p, predicate="covers")
            fixed[i] = cells[hits[0]] if len(hits) else p.buffer(1e-6)
        cells = fixed
    return cells


def _turf_geometries(
    cells: np.ndarray, label: np.ndarray, k: int, area_m: BaseGeometry
) -> list[BaseGeometry]:
    out = []
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    for t in range(k):
        mine = cells[order[bounds[t] : bounds[t + 1]]]
        merged = shapely.coverage_union_all(mine) if len(mine) > 1 else mine[0]
        out.append(_polygonal(shapely.intersection(merged, area_m)))
    return out


def _n_parts(geom: BaseGeometry) -> int:
    return len(shapely.get_parts(geom)) if geom.geom_type == "MultiPolygon" else 1


def _adjacency(xy: np.ndarray, cells: np.ndarray, area_m: BaseGeometry) -> sparse.csr_matrix:
    """Locations whose cells, clipped to the area, share a border (not just a corner)."""
    shapely.prepare(area_m)
    clipped = cells.copy()
    edge = ~shapely.contains_properly(area_m, cells)  # only cells on the area's border change
    clipped[edge] = shapely.intersection(cells[edge], area_m)
    a = b = None
    if len(cells) >= 4:
        try:  # Delaunay edges are the Voronoi neighbours: no pairwise overlay inside the area
            tri = Delaunay(xy)
            e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]],
                           tri.simplices[:, [0, 2]]])  # fmt: skip
            e = np.unique(np.sort(e, axis=1), axis=0)
            a, b = e[:, 0], e[:, 1]
        except QhullError:  # collinear points
            a = b = None
    if a is None:
        tree = shapely.STRtree(clipped)
        a, b = tree.query(clipped, predicate="intersects")
        keep = a < b
        a, b = a[keep], b[keep]
    check = edge[a] | edge[b]  # pairs touching the area's border: measure the shared border
    shared = np.ones(len(a))
    shared[check] = shapely.length(shapely.intersection(clipped[a[check]], clipped[b[check]]))
    keep = shared > 1e-6
    a, b = a[keep], b[keep]
    m = len(cells)
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(m, m))
    return (graph + graph.T).tocsr()


def _components(graph: sparse.csr_matrix, locs: np.ndarray) -> list[np.ndarray]:
    sub = graph[locs][:, locs]
    _n, comp = connected_components(sub, directed=False)
    return [locs[comp == c] for c in range(_n)]


def _connected_without(graph: sparse.csr_matrix, locs: np.ndarray, drop: int) -> bool:
    rest = locs[locs != drop]
    return len(rest) > 0 and len(_components(graph, rest)) == 1


def _hand_back(
    xy: np.ndarray,
    w: np.ndarray,
    label: np.ndarray,
    graph: sparse.csr_matrix,
    chain: list[int],
    need: int,
) -> bool:
    """Along chain (u ... t), each turf gives `need` doors of border locations to the next,
    never falling apart itself. False when some link cannot."""
    for giver, taker in itertools.pairwise(chain):
        left = need
        while left > 0:
            mine = np.flatnonzero((label == giver) & (w <= left))
            border = [i for i in mine if (label[graph[i].indices] == taker).any()]
            centre = np.average(xy[label == taker], axis=0, weights=w[label == taker])
            border.sort(key=lambda i: (float(((xy[i] - centre) ** 2).sum()), int(i)))
            for i in border:
                if _connected_without(graph, np.flatnonzero(label == giver), i):
                    label[i] = taker
                    left -= int(w[i])
                    break
            else:
                return False
    return True


def _repair_pieces(
    xy: np.ndarray, w: np.ndarray, label: np.ndarray, k: int, graph: sparse.csr_matrix
) -> None:
    """Make turfs one piece (in place) where a one-piece area allows: each stray piece (all but
    a turf's largest by doors) goes to a neighbouring turf (most shared borders first), and
    that turf hands as many doors back along a chain of neighbouring turfs (each link giving
    border locations whose loss keeps it in one piece), so balance is kept. Pieces that cannot
    be moved so are left (and counted as noncontiguous by the caller)."""
    stuck: set[tuple[int, int]] = set()
    for _ in range(4 * k):
        stray = None
        for t in range(k):
            comps = _components(graph, np.flatnonzero(label == t))
            if len(comps) > 1:
                comps.sort(key=lambda c: (-int(w[c].sum()), int(c[0])))
                for c in comps[1:]:
                    if (t, int(c.min())) not in stuck:
                        stray = (t, c)
                        break
            if stray is not None:
                break
        if stray is None:
            return
        t, piece = stray
        nb = graph[piece].indices
        nb_turfs = label[nb][label[nb] != t]
        counts = np.bincount(nb_turfs, minlength=k)
        need = int(w[piece].sum())
        done = False
        for u in np.argsort(-counts, kind="stable"):
            if counts[u] == 0:
                break
            before = label.copy()
            label[piece] = u
            rows, cols = graph.nonzero()
            tgraph = sparse.coo_matrix(
                (np.ones(len(rows)), (label[rows], label[cols])), shape=(k, k)
            ).tocsr()
            _d, pred = shortest_path(tgraph, directed=False, unweighted=True, indices=int(u),
                                     return_predecessors=True)  # fmt: skip
            if pred[t] >= 0:
                chain = [t]
                while chain[-1] != u:
                    chain.append(int(pred[chain[-1]]))
                chain.reverse()
                if _hand_back(xy, w, label, graph, chain, need):
                    done = True
                    break
            label[:] = before
        if not done:
            stuck.add((t, int(piece.min())))


# ---------------------------------------------------------------------------------------------
# The cut


def _metric_area_perimeter(geom: BaseGeometry) -> tuple[float, float]:
    return float(geom.area), float(geom.length)


def cut_turfs(lon: np.ndarray, lat: np.ndarray, area: BaseGeometry, turf_count: int) -> CutResult:
    """Split the doors at (lon, lat) (WGS84 degrees, one entry per door; doors of one building
    share a point) inside `area` (Polygon/MultiPolygon, lon/lat) into `turf_count` turfs.

    Raises ValueError (with the reason) for turf_count < 1 or above the number of doors (or of
    distinct door points), no doors, doors outside the area, and an empty or invalid area.
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
        raise ValueError(
            f"turf_count ({k}) is larger than the number of distinct door locations "
            f"({len(keys)}): doors at one point cannot be split between turfs"
        )
    proj = _Projection.around(keys[:, 0], keys[:, 1])
    xy = proj.forward(keys)
    w = counts.astype(np.int64)

    label = _partition(xy, w, k)

    area_m = shapely.transform(area, proj.forward)
    if not area_m.is_valid:  # pragma: no cover - rounding in the (linear) projection
        area_m = shapely.make_valid(area_m)
    cells = _cells(xy, area_m)
    geoms_m = _turf_geometries(cells, label, k, area_m)
    area_parts = len(shapely.get_parts(area_m)) if area_m.geom_type == "MultiPolygon" else 1
    if area_parts == 1 and k > 1 and any(_n_parts(g) > 1 for g in geoms_m):
        _repair_pieces(xy, w, label, k, _adjacency(xy, cells, area_m))
        geoms_m = _turf_geometries(cells, label, k, area_m)

    door_label = label[inverse]
    turfs: list[CutTurf] = []
    for t in range(k):
        doors = np.flatnonzero(door_label == t)
        g_m = geoms_m[t]
        a, p = _metric_area_perimeter(g_m)
        compactness = 4 * math.pi * a / (p * p) if p > 0 else 0.0
        g = _polygonal(shapely.intersection(shapely.transform(g_m, proj.inverse), area))
        if g.geom_type == "Polygon":
            pass
        elif g.is_empty:  # pragma: no cover
            g = MultiPolygon()
        route = plan_route(lon[doors], lat[doors], settings=_ROUTE_SETTINGS)
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
    n_parts = [_n_parts(t.geometry) for t in turfs]
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
        "noncontiguous_turfs": int(sum(1 for p in n_parts if p > 1)),
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
