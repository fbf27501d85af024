from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from app.schemas.common import CleanStr, Id
from app.schemas.precincts import MultiPolygonIn, PolygonIn
from app.schemas.walk_lists import WalkListFilters

# A drawn area: checked and repaired by the service (app.geo), described here for clients.
Area = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "oneOf": [PolygonIn.model_json_schema(), MultiPolygonIn.model_json_schema()],
            "description": "GeoJSON Polygon or MultiPolygon (WGS84 lon/lat)",
        }
    ),
]


def exactly_one_of(*names: str) -> dict[str, Any]:
    """The JSON schema of "exactly one of these fields, the others absent or null" (what the
    models' validators check), so that the document tells clients and generators the rule."""
    return {
        "oneOf": [
            {
                "required": [name],
                "properties": {
                    other: ({"not": {"type": "null"}} if other == name else {"type": "null"})
                    for other in names
                },
            }
            for name in names
        ]
    }


class TurfIn(BaseModel):
    """A turf from precincts (their union) or from a drawn polygon: exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("precinct_ids", "geometry")
    )

    name: Annotated[
        CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    precinct_ids: list[Id] | None = Field(default=None, min_length=1, max_length=500)
    geometry: Area | None = None

    @model_validator(mode="after")
    def exactly_one_source(self) -> "TurfIn":
        if (self.precinct_ids is None) == (self.geometry is None):
            raise ValueError("give exactly one of precinct_ids and geometry")
        return self


class TurfOut(BaseModel):
    id: int
    name: str
    precinct_ids: list[int]
    household_count: int
    person_count: int
    created_at: datetime | None


class TurfDetail(TurfOut):
    geometry: dict[str, Any]


class CutArea(BaseModel):
    """What to cut: exactly one of precincts (their union), a drawn polygon, or a turf."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("precinct_ids", "geometry", "turf_id")
    )

    precinct_ids: list[Id] | None = Field(default=None, min_length=1, max_length=500)
    geometry: Area | None = None
    turf_id: Id | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> "CutArea":
        given = [self.precinct_ids is not None, self.geometry is not None, self.turf_id is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of precinct_ids, geometry and turf_id")
        return self


class TurfCutIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("turf_count", "doors_per_turf")
    )

    area: CutArea
    turf_count: int | None = Field(default=None, ge=1, le=5000)
    doors_per_turf: int | None = Field(default=None, ge=1, le=100_000)
    name_prefix: Annotated[
        CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ] = "Turf"
    filters: WalkListFilters | None = Field(
        default=None,
        description="Count only doors with at least one person these filters keep (and whom "
        "lists never leave out); without filters every household counts",
    )
    save: StrictBool = Field(default=True, description="false: a preview that writes nothing")

    @model_validator(mode="after")
    def one_size(self) -> "TurfCutIn":
        if (self.turf_count is None) == (self.doors_per_turf is None):
            raise ValueError("give exactly one of turf_count and doors_per_turf")
        return self


class CutTurfOut(BaseModel):
    id: int | None = Field(description="Set when saved")
    name: str
    geometry: dict[str, Any]
    door_count: int
    person_count: int
    walk_m: float


class CutMetrics(BaseModel):
    doors: int
    turfs: int
    min_doors: int
    max_doors: int
    mean_doors: float
    imbalance: float = Field(description="max_doors / mean_doors")
    overlap_m2: float
    unassigned_doors: int
    noncontiguous_turfs: int
    mean_compactness: float = Field(description="Polsby-Popper, 1 for a circle")
    total_walk_m: float
    building_turfs: int = Field(
        description="Turfs that are one building alone: more doors at one point than a turf's "
        "share (doors at one point are never split between turfs)"
    )
    notes: list[str] = Field(default_factory=list)


class TurfCutOut(BaseModel):
    turfs: list[CutTurfOut]
    metrics: CutMetrics
