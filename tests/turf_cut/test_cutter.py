"""Automatic turf cutting (app/services/turf_cut.py): property tests over random doors and areas.

Pure function, no database.
"""

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.geo import Projection
from app.services.turf_cut.cutter import cut_turfs
from app.services.walk_lists.route_planner import RouteSettings, plan_route

LON0, LAT0 = -71.12, 42.37
DEG = 1 / 111_195  # ~ one metre of latitude in degrees


def _area(kind: str, size_m: float) -> shapely.Polygon:
    s = size_m * DEG
    sx = s / np.cos(np.radians(LAT0))
    x0, y0 = LON0, LAT0

    def polygon(*corners: tuple[float, float]) -> shapely.Polygon:
        """Corners given as fractions of the square's side."""
        return shapely.Polygon([(x0 + fx * sx, y0 + fy * s) for fx, fy in corners])

    if kind == "square":
        return shapely.box(x0, y0, x0 + sx, y0 + s)
    if kind == "triangle":
        return polygon((0, 0), (1, 0), (1 / 3, 1))
    if kind == "L":
        return polygon((0, 0), (1, 0), (1, 1 / 3), (1 / 3, 1 / 3), (1 / 3, 1), (0, 1))
    if kind == "donut":  # a one-piece area around a pond
        return shapely.box(x0, y0, x0 + sx, y0 + s).difference(
            shapely.box(x0 + sx / 3, y0 + s / 3, x0 + 2 * sx / 3, y0 + 2 * s / 3)
        )
    if kind == "U":
        return polygon(
            (0, 0), (1, 0), (1, 1), (2 / 3, 1), (2 / 3, 1 / 4), (1 / 3, 1 / 4), (1 / 3, 1), (0, 1)
        )
    raise AssertionError(kind)


def _doors(area, n: int, stacked: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n doors uniformly in the area; `stacked` of them put on an earlier door's point (two
    doors at a point: a house's two households)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.bounds
    pts = np.empty((0, 2))
    while len(pts) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        pts = np.vstack([pts, cand[shapely.contains_xy(area, cand[:, 0], cand[:, 1])]])
    pts = pts[:n]
    if stacked:
        hosts = rng.choice(n - stacked, size=stacked, replace=False)
        pts[n - stacked :] = pts[hosts]
    return pts[:, 0].copy(), pts[:, 1].copy()


def _check(lon, lat, area, k, result, one_piece=True):
    n = len(lon)
    turfs = result.turfs
    m = result.metrics
    assert len(turfs) == k
    # partition: each door in exactly one turf
    all_doors = np.concatenate([t.doors for t in turfs])
    assert np.array_equal(np.sort(all_doors), np.arange(n))
    assert m["unassigned_doors"] == 0
    # doors at one point share a turf
    label = np.empty(n, dtype=int)
    for i, t in enumerate(turfs):
        label[t.doors] = i
        assert t.door_count == len(t.doors)
    _, inv = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    for g in np.unique(inv):
        assert len(set(label[inv == g])) == 1
    # balance
    sizes = np.array([t.door_count for t in turfs])
    mean = n / k
    assert (np.abs(sizes - mean) <= max(0.1 * mean, 1)).all(), sizes
    if m["largest_stack"] == 1:
        assert sizes.max() - sizes.min() <= 1
        assert m["balanced_within_one"]
    assert m["min_doors"] == sizes.min() and m["max_doors"] == sizes.max()
    # geometry: valid, no overlap, covering the area
    geoms = [t.geometry for t in turfs]
    proj = Projection.around(lon, lat)
    geoms_m = [shapely.transform(g, proj.forward) for g in geoms]
    area_m = shapely.transform(area, proj.forward)
    for g in geoms:
        assert g.is_valid and not g.is_empty
        assert g.geom_type in ("Polygon", "MultiPolygon")
    union = shapely.union_all(geoms_m)
    assert sum(g.area for g in geoms_m) - union.area <= 1e-6 * area_m.area
    assert m["overlap_m2"] <= 1e-6 * area_m.area
    assert abs(union.area - area_m.area) <= 1e-6 * area_m.area
    assert shapely.symmetric_difference(union, area_m).area <= 1e-6 * area_m.area
    # containment: own turf covers its doors, no other turf contains them
    pts = shapely.points(lon, lat)
    for i, g in enumerate(geoms):
        inside = shapely.contains(g, pts)
        assert shapely.covers(g, pts[label == i]).all()
        assert not inside[label != i].any()
    # contiguity: every turf is one piece where the area is
    assert m["noncontiguous_turfs"] == sum(1 for g in geoms if g.geom_type == "MultiPolygon")
    if one_piece:
        assert all(g.geom_type == "Polygon" for g in geoms)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["square", "triangle", "L", "U", "donut"]),
    n=st.integers(min_value=1, max_value=400),
    per_turf=st.integers(min_value=10, max_value=80),
    stacked_share=st.sampled_from([0.0, 0.0, 0.1, 0.3]),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_cut_properties(kind, n, per_turf, stacked_share, seed):
    area = _area(kind, 1500)
    stacked = int(n * stacked_share) if n >= 10 else 0
    lon, lat = _doors(area, n, stacked, seed)
    k = max(1, min(n // per_turf, len(np.unique(np.column_stack([lon, lat]), axis=0))))
    if stacked and n / k < 30:  # stacks of 2 doors: +-10% needs turfs of 30+ doors
        k = max(1, n // 30)
    result = cut_turfs(lon, lat, area, k)
    _check(lon, lat, area, k, result)
    # determinism
    again = cut_turfs(lon.copy(), lat.copy(), area, k)
    assert all(
        np.array_equal(a.doors, b.doors) and a.geometry.equals_exact(b.geometry, 0)
        for a, b in zip(result.turfs, again.turfs, strict=True)
    )
    assert again.metrics == result.metrics


def test_boundary_and_stacked_points():
    """Doors on the area's boundary and on a corner, and a building of many doors."""
    area = _area("square", 1000)
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(minx, maxx, 200), [minx, maxx, minx], np.full(40, minx)])
    edge = [miny, maxy, (miny + maxy) / 2]
    lat = np.concatenate(
        [rng.uniform(miny, maxy, 200), edge, np.full(40, miny + (maxy - miny) / 3)]
    )
    result = cut_turfs(lon, lat, area, 4)
    _check(lon, lat, area, 4, result)
    assert result.metrics["largest_stack"] == 40


def test_an_area_in_two_pieces():
    """Two squares 1 km apart (a precinct split by a river): still a balanced partition that
    covers both pieces; a turf may span the gap only as several pieces, and says so."""
    left = _area("square", 800)
    right = shapely.affinity.translate(left, xoff=1800 * DEG / np.cos(np.radians(LAT0)))
    area = shapely.union(left, right)
    lon_a, lat_a = _doors(left, 150, 20, 5)
    lon_b, lat_b = _doors(right, 90, 0, 6)
    lon, lat = np.concatenate([lon_a, lon_b]), np.concatenate([lat_a, lat_b])
    result = cut_turfs(lon, lat, area, 6)
    _check(lon, lat, area, 6, result, one_piece=False)


def test_a_building_bigger_than_a_turf_is_a_turf_of_its_own():
    """30 doors at one point, 30 spread, 4 turfs: the mean (15) cannot be met by the building's
    turf; it holds the building alone and the other three split the rest evenly (10 each)
    instead of the overflow falling on its neighbours."""
    area = _area("square", 500)
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(3)
    lon = np.concatenate([rng.uniform(minx, maxx, 30), np.full(30, (minx + maxx) / 2)])
    lat = np.concatenate([rng.uniform(miny, maxy, 30), np.full(30, (miny + maxy) / 2)])
    result = cut_turfs(lon, lat, area, 4)
    assert sorted(np.concatenate([t.doors for t in result.turfs])) == list(range(60))
    assert sorted(t.door_count for t in result.turfs) == [10, 10, 10, 30]
    building = next(t for t in result.turfs if t.door_count == 30)
    assert list(building.doors) == list(range(30, 60))
    assert building.walk_m == 0
    assert result.metrics["max_doors"] == 30
    assert not result.metrics["balanced_within_one"]
    assert result.metrics["building_turfs"] == 1
    assert "(30 doors share one point" in result.metrics["note"]
    assert "the other turfs hold 10 doors" in result.metrics["note"]
    assert result.metrics["noncontiguous_turfs"] == 0


def test_quality_against_k_means_constrained():
    kmc = pytest.importorskip("k_means_constrained")
    area = _area("square", 2000)
    lon, lat = _doors(area, 600, 0, 11)
    k = 8
    result = cut_turfs(lon, lat, area, k)
    xy = Projection.around(lon, lat).forward(np.column_stack([lon, lat]))
    model = kmc.KMeansConstrained(
        n_clusters=k, size_min=600 // k, size_max=-(-600 // k), random_state=0, n_init=3
    ).fit(xy)
    settings_ = RouteSettings(effort=0.0)
    ref = sum(
        plan_route(lon[model.labels_ == j], lat[model.labels_ == j], settings=settings_).distance_m
        for j in range(k)
    )
    assert result.metrics["total_walk_m"] <= 1.05 * ref
    assert result.metrics["imbalance"] <= 1 + 1 / 75 + 1e-9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(turf_count=0), "at least 1"),
        (dict(turf_count=11), "larger than the number of doors"),
        (dict(n=0), "no doors"),
        (dict(area=shapely.Polygon()), "empty"),
        (
            dict(area=shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])),
            "not a valid polygon",
        ),
        (dict(area=shapely.box(0, 0, 1e-3, 1e-3)), "outside the area"),
        (dict(stack=True, turf_count=3), "distinct door locations"),
    ],
)
def test_bad_input(args, message):
    area = args.get("area", _area("square", 500))
    n = args.get("n", 10)
    minx, miny, maxx, maxy = _area("square", 500).bounds
    lon = np.linspace(minx, maxx, n + 2)[1:-1]
    lat = np.linspace(miny, maxy, n + 2)[1:-1]
    if args.get("stack"):
        lon[:], lat[:] = lon[0], lat[0]
        lon[5:], lat[5:] = lon[-1] + 1e-5, lat[-1]
    with pytest.raises(ValueError, match=message):
        cut_turfs(lon, lat, area, args.get("turf_count", 2))


@pytest.mark.parametrize(
    ("nx", "ny", "step", "k"), [(4, 3, 1e-4, 2), (4, 6, 5e-5, 3), (5, 5, 1e-4, 3)]
)
def test_doors_on_a_grid(nx, ny, step, k):
    """Four or more doors on one circle: Voronoi cells come back with stray lines, cells of
    diagonal neighbours meet only at a corner, and their edges are not exactly noded."""
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    lon, lat = LON0 + gx.ravel() * step, LAT0 + gy.ravel() * step
    half = step / 2
    area = shapely.box(lon.min() - half, lat.min() - half, lon.max() + half, lat.max() + half)
    _check(lon, lat, area, k, cut_turfs(lon, lat, area, k))
