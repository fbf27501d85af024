from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class HouseholdOut(BaseModel):
    id: int
    house_number: str
    house_suffix: str | None
    street: str
    unit: str | None
    city: str | None
    state: str | None
    zip: str | None
    lon: float | None
    lat: float | None


class PersonOut(BaseModel):
    id: int
    external_id: str
    first_name: str
    middle_name: str | None
    last_name: str
    suffix: str | None
    birth_date: date | None
    birth_year: int | None
    age: int | None
    sex: str | None
    party: str | None
    phone: str | None
    email: str | None
    household: HouseholdOut
    precinct_id: int | None
    support_level: int | None
    is_volunteer: bool
    is_donor: bool
    do_not_contact: bool
    deceased: bool
    moved: bool
    tags: list[str]
    custom_fields: dict[str, Any]
    last_contacted_at: datetime | None


class PersonPatch(BaseModel):
    """Fields staff may correct by hand. Omitted fields are left alone; null clears."""

    model_config = ConfigDict(extra="forbid")

    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    middle_name: str | None = None
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    suffix: str | None = None
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, ge=1880, le=2100)
    sex: str | None = None
    party: str | None = None
    phone: str | None = None
    email: str | None = None
    support_level: int | None = Field(default=None, ge=1, le=5)
    is_volunteer: bool | None = None
    is_donor: bool | None = None
    do_not_contact: bool | None = None
    deceased: bool | None = None
    moved: bool | None = None
    tags: list[Tag] | None = None
    custom_fields: dict[str, Any] | None = None
