from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.models.contact import ResultCode
from app.schemas.common import CheckedAlone, FiniteFloat, Id, IsoAwareDateTime, NoteStr

MAX_SYNC_ITEMS = 500
# No knock predates the app; the service also refuses one long before its list was built.
EARLIEST_KNOCK = datetime(2000, 1, 1, tzinfo=UTC)


class Location(BaseModel):
    lon: FiniteFloat = Field(ge=-180, le=180)
    lat: FiniteFloat = Field(ge=-90, le=90)


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: Id
    option_ids: list[Id] | None = Field(default=None, max_length=50)
    text: NoteStr | None = None
    number: FiniteFloat | None = None


class SyncItem(BaseModel):
    """One result recorded on a phone. `person_id` null speaks for the whole door."""

    model_config = ConfigDict(extra="forbid")

    client_id: UUID
    walk_list_id: Id
    household_id: Id
    person_id: Id | None = None
    result: ResultCode
    responses: list[ResponseIn] = Field(default_factory=list, max_length=100)
    note: NoteStr | None = None
    knocked_at: IsoAwareDateTime
    location: Location | None = None

    @field_validator("knocked_at")
    @classmethod
    def not_before_2000(cls, value: datetime) -> datetime:
        if value < EARLIEST_KNOCK:
            raise ValueError("knocked_at is before 2000")
        return value


class SyncIn(BaseModel):
    """Items are checked one by one, so one malformed item never sinks the others."""

    results: list[Annotated[Any, CheckedAlone(SyncItem)]] = Field(
        description=f"At most {MAX_SYNC_ITEMS} (more: 413); each is checked alone and a bad "
        "one is answered `rejected` with its errors"
    )


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
