"""Turf shapes for the cut (`cutter`): Voronoi cells of the
door locations merged per turf and clipped to the area, and the cells' adjacency (which
`repair` works on).

Cells come from the distinct locations, so each location is strictly inside its own cell and
a turf's polygon contains exactly its own doors; merged cells of one turf tile the area with
its neighbours' without overlap.
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.errors
from scipy import sparse
from scipy.spatial import Delaunay, QhullError
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry


def points(xy: np.ndarray) -> np.ndarray:
    """One point geometry per row of (n, 2) coordinates (an array of n, even for n = 1)."""
    pts = shapely.points(xy)
    if not isinstance(pts, np.ndarray):
        raise TypeError("expected (n, 2) coordinates")
    return pts


def multipoint(xy: np.ndarray) -> MultiPoint:
    """The (n, 2) coordinates as one MultiPoint."""
    mp = shapely.multipoints(xy)
    if not isinstance(mp, MultiPoint):
        raise TypeError("expected (n, 2) coordinates")
    return mp


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a geometry (lines and points left by clipping dropped)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def cells(xy: np.ndarray, area_m: BaseGeometry) -> np.ndarray:
    """The Voronoi cell (metres) of each distinct location, in input order, covering area_m."""
    minx, miny, maxx, maxy = area_m.union(multipoint(xy)).bounds
    pad = max(maxx - minx, maxy - miny, 1.0)
    extent = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    if len(xy) == 1:
        return np.array([extent])
    cells = np.array(
        shapely.get_parts(shapely.voronoi_polygons(multipoint(xy), extend_to=extent, ordered=True))
    )
    # four or more doors on one circle (a grid) can give a cell as a polygon plus a
    # zero-length line; only the polygon is the cell
    odd = shapely.get_type_id(cells) != 3
    cells[odd] = [polygonal(c) for c in cells[odd]]
    if len(cells) != len(xy) or not shapely.contains(cells, points(xy)).all():
        # pragma: no cover - GEOS snapped nearly coincident points; match cells by containment
        tree = shapely.STRtree(cells)
        pts = points(xy)
        fixed = np.empty(len(xy), dtype=object)
        for i, p in enumerate(pts):
            hits = tree.query(p, predicate="covers")
            fixed[i] = cells[hits[0]] if len(hits) else p.buffer(1e-6)
        cells = fixed
    return cells


def merge_coverage(polygons: np.ndarray | list[BaseGeometry]) -> BaseGeometry:
    """The union of polygons that tile without overlap: the fast coverage union, or the full
    overlay where GEOS finds the edges not exactly matched (cells of doors on a grid)."""
    if len(polygons) == 1:
        return polygons[0]
    try:
        return shapely.coverage_union_all(polygons)
    except shapely.errors.GEOSException:
        return shapely.union_all(polygons)


def turf_geometries(
    cells: np.ndarray, xy: np.ndarray, label: np.ndarray, k: int, area_m: BaseGeometry
) -> list[BaseGeometry]:
    """Each turf's polygon: its locations' cells merged and clipped to the area, with
    `_attach_orphans` applied."""
    out = []
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    for t in range(k):
        mine = cells[order[bounds[t] : bounds[t + 1]]]
        merged = merge_coverage(mine)
        out.append(polygonal(shapely.intersection(merged, area_m)))
    return _attach_orphans(out, xy, label)


def _attach_orphans(
    geoms: list[BaseGeometry], xy: np.ndarray, label: np.ndarray
) -> list[BaseGeometry]:
    """A convex cell clipped by a concave outline can fall in two: the location's part and an
    empty far part. Such parts (holding none of their turf's locations) go to the turf with
    which they share the longest border, so that no turf is in pieces for want of a door; a
    part touching no other turf (an area's piece without doors) stays."""
    out = list(geoms)
    orphans: list[tuple[int, BaseGeometry]] = []
    for t, g in enumerate(geoms):
        if n_parts(g) == 1:
            continue
        parts = shapely.get_parts(g)
        mine = points(xy[label == t])  # only for the rare turf in pieces
        holds = np.array([shapely.intersects(p, mine).any() for p in parts])
        if holds.all() or not holds.any():
            continue
        out[t] = shapely.union_all(parts[holds])
        orphans.extend((t, p) for p in parts[~holds])
    for t, part in orphans:
        shared = np.array(
            [
                shapely.length(shapely.intersection(part.boundary, g.boundary))
                if u != t and shapely.intersects(part, g)
                else 0.0
                for u, g in enumerate(out)
            ]
        )
        best = int(np.argmax(shared)) if shared.max() > 0 else t
        out[best] = polygonal(shapely.union(out[best], part))
    return out


def n_parts(geom: BaseGeometry) -> int:
    """How many pieces an area is in."""
    return len(shapely.get_parts(geom)) if geom.geom_type == "MultiPolygon" else 1


def adjacency(xy: np.ndarray, cells: np.ndarray, area_m: BaseGeometry) -> sparse.csr_matrix:
    """Locations whose cells, clipped to the area, share a border (not just a corner)."""
    shapely.prepare(area_m)
    clipped = cells.copy()
    edge = ~shapely.contains_properly(area_m, cells)  # only cells on the area's border change
    clipped[edge] = [_own_part(g, p) for g, p in
                     zip(shapely.intersection(cells[edge], area_m), points(xy[edge]),
                         strict=True)]  # fmt: skip
    pairs: tuple[np.ndarray, np.ndarray] | None = None
    if len(cells) >= 4:
        try:  # Delaunay edges are the Voronoi neighbours: no pairwise overlay inside the area
            pairs = _voronoi_neighbours(Delaunay(xy), xy)
        except QhullError:  # collinear points
            pairs = None
    if pairs is None:
        tree = shapely.STRtree(clipped)
        a, b = tree.query(clipped, predicate="intersects")
        keep = a < b
        pairs = a[keep], b[keep]
    a, b = pairs
    check = edge[a] | edge[b]  # pairs touching the area's border: measure the shared border
    shared = np.ones(len(a))
    shared[check] = shapely.length(shapely.intersection(clipped[a[check]], clipped[b[check]]))
    keep = shared > 1e-6
    a, b = a[keep], b[keep]
    m = len(cells)
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(m, m))
    return (graph + graph.T).tocsr()


def _voronoi_neighbours(tri: Delaunay, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Delaunay edges whose dual Voronoi edge has a length: where four or more points lie
    on one circle, the triangulation adds a diagonal whose two cells meet only at a point."""
    s = tri.simplices
    p = xy[s] - xy[s][:, :1]  # triangles relative to their first corner, for precision
    bx, by, cx, cy = p[:, 1, 0], p[:, 1, 1], p[:, 2, 0], p[:, 2, 1]
    d = 2 * (bx * cy - by * cx)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = (cy * (bx * bx + by * by) - by * (cx * cx + cy * cy)) / d
        uy = (bx * (cx * cx + cy * cy) - cx * (bx * bx + by * by)) / d
    centre = np.column_stack([ux, uy]) + xy[s[:, 0]]
    a_parts, b_parts, length_parts = [], [], []
    for i in range(3):  # the edge opposite corner i, shared with triangle neighbors[:, i]
        other = tri.neighbors[:, i]
        gap = np.linalg.norm(centre - centre[other], axis=1)
        a_parts.append(s[:, (i + 1) % 3])
        b_parts.append(s[:, (i + 2) % 3])
        length_parts.append(np.where(other >= 0, gap, np.inf))  # a hull edge: its dual is a ray
    a = np.concatenate(a_parts)
    b = np.concatenate(b_parts)
    length = np.concatenate(length_parts)
    keep = ~(length <= 1e-6)  # NaN (a degenerate triangle) keeps the edge
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    pairs = np.unique(np.column_stack([lo, hi]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _own_part(clipped_cell: BaseGeometry, point: BaseGeometry) -> BaseGeometry:
    """The part of a clipped cell that holds its location (see `_attach_orphans`)."""
    clipped_cell = polygonal(clipped_cell)
    if n_parts(clipped_cell) == 1:
        return clipped_cell
    parts = shapely.get_parts(clipped_cell)
    own: BaseGeometry = parts[int(np.argmax(shapely.intersects(parts, point)))]
    return own
