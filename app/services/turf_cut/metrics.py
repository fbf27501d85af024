"""The figures of a finished cut (pure: numpy and shapely)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

import numpy as np
from shapely.geometry.base import BaseGeometry

from app.services.turf_cut.shapes import merge_coverage, n_parts

if TYPE_CHECKING:
    from app.services.turf_cut.cutter import CutTurf


class CutFigures(TypedDict):
    """The figures of a cut, as `cut_metrics` reports them (areas in square metres)."""

    doors: int
    turfs: int
    min_doors: int
    max_doors: int
    mean_doors: float
    imbalance: float
    overlap_m2: float
    unassigned_doors: int
    noncontiguous_turfs: int
    mean_compactness: float
    total_walk_m: float
    uncovered_m2: float
    largest_stack: int
    balanced_within_one: bool
    building_turfs: int
    note: NotRequired[str]  # why the balance is not within one door, when it is not


def cut_metrics(
    turfs: list[CutTurf],
    geoms_m: list[BaseGeometry],
    area_m: BaseGeometry,
    n: int,
    stack: int,
    building_turfs: np.ndarray,
) -> CutFigures:
    """The figures the API reports for a cut: balance, overlap, coverage, contiguity,
    compactness and walking, with a note when stacked doors kept the balance from one door."""
    sizes = np.array([t.door_count for t in turfs])
    k = len(turfs)
    mean = n / k
    union = merge_coverage(geoms_m)
    overlap = max(0.0, float(sum(g.area for g in geoms_m) - union.area))
    assigned = int(sizes.sum())
    pieces = [n_parts(t.geometry) for t in turfs]
    within_one = int(sizes.max() - sizes.min()) <= 1
    metrics: CutFigures = {
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
        "building_turfs": len(building_turfs),
    }
    ordinary = np.delete(sizes, building_turfs)
    if len(building_turfs):
        held = ", ".join(str(int(sizes[t])) for t in building_turfs)
        metrics["note"] = (
            f"{len(building_turfs)} turf(s) hold a single building of more doors than a turf's "
            f"share ({held} doors share one point, and doors at one point are never split "
            f"between turfs); the other turfs hold {_span(ordinary)} doors"
        )
    elif not within_one and stack > 1:
        metrics["note"] = (
            f"balance within one door was not reached: up to {stack} doors share one point "
            "(a building) and doors at one point are never split between turfs"
        )
    return metrics


def _span(sizes: np.ndarray) -> str:
    lo, hi = int(sizes.min()), int(sizes.max())
    return f"{lo}" if lo == hi else f"{lo} to {hi}"
