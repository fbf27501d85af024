from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.schemas.common import CheckedAlone, FiniteFloat

# [lon, lat] in WGS 84 (a third coordinate is refused: the feature is rejected)
Longitude = Annotated[FiniteFloat, Field(ge=-180, le=180)]
Latitude = Annotated[FiniteFloat, Field(ge=-90, le=90)]
Position = tuple[Longitude, Latitude]
Ring = Annotated[list[Position], Field(min_length=4, description="Closed: last = first")]


class PolygonIn(BaseModel):
    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1, description="Outer ring, then holes")]


class MultiPolygonIn(BaseModel):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


class PrecinctFeature(BaseModel):
    """One precinct: its code (and name) in `properties`, under the names the import gives."""

    type: Literal["Feature"]
    geometry: PolygonIn | MultiPolygonIn = Field(discriminator="type")
    properties: dict[str, Any] = Field(
        description="Holds the code (`code_property`) and the name (`name_property`): strings "
        "or numbers"
    )


class FeatureCollectionIn(BaseModel):
    """The envelope only; each feature is checked on its own so one bad feature sinks nothing
    (it is listed in `rejected` with its index)."""

    type: str = Field(pattern="^FeatureCollection$")
    features: list[Annotated[Any, CheckedAlone(PrecinctFeature)]]


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
