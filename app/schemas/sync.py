from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.models.contact import ResultCode

MAX_SYNC_ITEMS = 500


class Location(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: int
    option_ids: list[int] | None = None
    text: str | None = Field(default=None, max_length=5000)
    number: float | None = None


class SyncItem(BaseModel):
    """One result recorded on a phone. `person_id` null speaks for the whole door."""

    model_config = ConfigDict(extra="forbid")

    client_id: UUID
    walk_list_id: int
    household_id: int
    person_id: int | None = None
    result: ResultCode
    responses: list[ResponseIn] = Field(default_factory=list, max_length=100)
    note: str | None = Field(default=None, max_length=5000)
    knocked_at: AwareDatetime
    location: Location | None = None


class SyncIn(BaseModel):
    """Items are checked one by one, so one malformed item never sinks the others."""

    results: list[Any]


class ItemError(BaseModel):
    loc: str
    message: str


class SyncItemOut(BaseModel):
    client_id: str | None
    status: Literal["created", "duplicate", "rejected"]
    contact_id: int | None = None
    errors: list[ItemError] | None = None


class SyncOut(BaseModel):
    results: list[SyncItemOut]
