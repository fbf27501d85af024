"""Turf shapes for the cut (`turf_cut`): the local metric projection, Voronoi cells of the
door locations merged per turf and clipped to the area, and the repair of turfs that fall apart
into pieces inside a one-piece area.

Cells come from the distinct locations, so each location is strictly inside its own cell and
a turf's polygon contains exactly its own doors; merged cells of one turf tile the area with
its neighbours' without overlap.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, shortest_path
from scipy.spatial import Delaunay, QhullError
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Projection:
    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray) -> Projection:
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


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def cells(xy: np.ndarray, area_m: BaseGeometry) -> np.ndarray:
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


def turf_geometries(
    cells: np.ndarray, label: np.ndarray, k: int, area_m: BaseGeometry
) -> list[BaseGeometry]:
    out = []
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    for t in range(k):
        mine = cells[order[bounds[t] : bounds[t + 1]]]
        merged = shapely.coverage_union_all(mine) if len(mine) > 1 else mine[0]
        out.append(polygonal(shapely.intersection(merged, area_m)))
    return out


def n_parts(geom: BaseGeometry) -> int:
    return len(shapely.get_parts(geom)) if geom.geom_type == "MultiPolygon" else 1


def adjacency(xy: np.ndarray, cells: np.ndarray, area_m: BaseGeometry) -> sparse.csr_matrix:
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


def repair_pieces(
    xy: np.ndarray, w: np.ndarray, label: np.ndarray, k: int, graph: sparse.csr_matrix
) -> None:
    """Make turfs one piece (in place) where a one-piece area allows: each stray piece (all but
    a turf's largest by doors) goes to a neighbouring turf (most shared borders first), and
    that turf hands as many doors back along a chain of neighbouring turfs (each link giving
    border locations whose loss keeps it in one piece), so balance is kept; failing that, the
    piece moves alone if balance stays within ±10%. Pieces that cannot be moved either way are
    left (and counted as noncontiguous by the caller)."""
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
            done = _plain_move(w, label, piece, t, counts, k)
        if not done:
            stuck.add((t, int(piece.min())))


def _plain_move(
    w: np.ndarray, label: np.ndarray, piece: np.ndarray, t: int, counts: np.ndarray, k: int
) -> bool:
    """The fallback when no chain can hand doors back: give the stray piece to the neighbour
    sharing most border with it if both turfs stay within ±10% of the mean. One piece matters
    more than balance to the door (a turf in two places is walked twice); ±10% still holds."""
    mean = float(w.sum()) / k
    size = int(w[piece].sum())
    for u in np.argsort(-counts, kind="stable"):
        if counts[u] == 0:
            return False
        if (
            int(w[label == u].sum()) + size <= 1.1 * mean
            and int(w[label == t].sum()) - size >= 0.9 * mean
        ):
            label[piece] = u
            return True
    return False
