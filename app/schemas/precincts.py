from typing import Any

from pydantic import BaseModel, Field


class FeatureCollectionIn(BaseModel):
    """The envelope only; each feature is checked on its own so one bad feature sinks nothing."""

    type: str = Field(pattern="^FeatureCollection$")
    features: list[Any]


class RejectedFeature(BaseModel):
    index: int
    message: str


class PrecinctImportOut(BaseModel):
    created: int
    updated: int
    rejected: list[RejectedFeature]


class PrecinctOut(BaseModel):
    id: int
    code: str
    name: str
    household_count: int
    person_count: int


class PrecinctDetail(PrecinctOut):
    geometry: dict[str, Any]
