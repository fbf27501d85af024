from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from app.models.survey import QuestionKind
from app.schemas.common import CleanStr, Id, ShortStr
from app.schemas.people import Tag


class WalkListFilters(BaseModel):
    """Who is targeted. Deceased, moved and do-not-contact people, and doors flagged
    wrong_address, are always left out, whatever the filters say."""

    model_config = ConfigDict(extra="forbid")

    support_levels: list[Annotated[int, Field(ge=1, le=5)] | Literal["unknown"]] | None = None
    parties: list[ShortStr] | None = Field(default=None, max_length=100)
    sexes: list[ShortStr] | None = Field(default=None, max_length=100)
    age_min: int | None = Field(default=None, ge=0, le=130)
    age_max: int | None = Field(default=None, ge=0, le=130)
    tags_any: list[Tag] | None = Field(default=None, max_length=100)
    tags_none: list[Tag] | None = Field(default=None, max_length=100)
    not_contacted_days: int = Field(
        default=14, ge=0, le=3650, description="Leave out people contacted this recently; 0: off"
    )
    include_volunteers: StrictBool = False

    @model_validator(mode="after")
    def ages_in_order(self) -> "WalkListFilters":
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is greater than age_max")
        return self


class WalkListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turf_id: Id
    survey_id: Id
    name: (
        Annotated[CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    filters: WalkListFilters = Field(default_factory=WalkListFilters)


class RouteOut(BaseModel):
    distance_m: float = Field(description="The walking route through the doors, in metres")
    minutes: float = Field(description="Walking at the set speed, plus the set time per door")


class WalkListOut(BaseModel):
    id: int
    number: str
    name: str
    turf_id: int
    survey_id: int
    door_count: int
    person_count: int
    version: int
    filters: WalkListFilters
    route: RouteOut | None
    created_at: datetime | None


class PayloadOption(BaseModel):
    id: int
    code: str
    label: str


class PayloadQuestion(BaseModel):
    id: int
    number: int
    prompt: str
    kind: QuestionKind
    options: list[PayloadOption]


class PayloadSurvey(BaseModel):
    id: int
    name: str
    questions: list[PayloadQuestion]


class PayloadPerson(BaseModel):
    """Exactly what a door needs: no phone, e-mail, birth date, custom fields or tags."""

    id: int
    line: int
    first_name: str
    last_name: str
    age: int | None
    sex: str | None
    party: str | None
    support_level: int | None


class PayloadStop(BaseModel):
    seq: int
    household_id: int
    address: str
    unit: str | None
    lon: float | None
    lat: float | None
    people: list[PayloadPerson]


class WalkListPayload(BaseModel):
    """The phone's copy of a list."""

    id: int
    number: str
    name: str
    version: int
    route: RouteOut | None
    survey: PayloadSurvey
    stops: list[PayloadStop]


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: list[Id] = Field(min_length=1, max_length=200)


class AssignmentsOut(BaseModel):
    walk_list_id: int
    user_ids: list[int]


class WalkListProgress(BaseModel):
    """How far the canvass of a list has got, from the contacts synced or entered for it."""

    walk_list_id: int
    doors_total: int
    doors_attempted: int = Field(description="Doors with at least one result on this list")
    people_total: int
    people_contacted: int = Field(
        description="Targets someone spoke with: a result of canvassed, refused, hostile, "
        "language_barrier, come_back or do_not_contact"
    )
    results: dict[str, int] = Field(description="Contacts on this list by result code")
    answers: dict[int, dict[int, int]] = Field(
        description="Answers by question id, then option id (every choice option, 0 included)"
    )
