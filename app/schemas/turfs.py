from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class TurfIn(BaseModel):
    """A turf from precincts (their union) or from a drawn polygon: exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    precinct_ids: list[int] | None = Field(default=None, min_length=1, max_length=500)
    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon (WGS84 lon/lat)"
    )

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
