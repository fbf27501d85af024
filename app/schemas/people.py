from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from app.schemas.common import (
    CleanStr,
    CustomFields,
    EmailStr,
    IsoDate,
    NameStr,
    OptionalNameStr,
    PhoneStr,
    ShortStr,
)

Tag = Annotated[CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EARLIEST_BIRTH = date(1900, 1, 1)


def _plausible_birth_date(value: date) -> date:
    if value < EARLIEST_BIRTH:
        raise ValueError(f"a birth date from {EARLIEST_BIRTH} on")
    if value > date.today():
        raise ValueError("a birth date in the future")
    return value


# The document says what it can of the range: years 1900-2099 (the future, which moves, is
# checked by the server alone).
BirthDate = Annotated[
    IsoDate,
    AfterValidator(_plausible_birth_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": "^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$",
            "description": f"From {EARLIEST_BIRTH} to today",
        }
    ),
]


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
    """Fields staff may correct by hand. Omitted fields are left alone; null clears, where the
    field may be empty (names, flags, tags and custom fields may not: the document shows them
    without null, and the service answers a null for them with a 422)."""

    model_config = ConfigDict(extra="forbid")

    first_name: NameStr | SkipJsonSchema[None] = None
    middle_name: OptionalNameStr | None = None
    last_name: NameStr | SkipJsonSchema[None] = None
    suffix: ShortStr | None = None
    birth_date: BirthDate | None = None
    birth_year: int | None = Field(default=None, ge=EARLIEST_BIRTH.year)
    sex: ShortStr | None = None
    party: ShortStr | None = None
    phone: PhoneStr | None = None
    email: EmailStr | None = None
    support_level: int | None = Field(default=None, ge=1, le=5)
    is_volunteer: StrictBool | SkipJsonSchema[None] = None
    is_donor: StrictBool | SkipJsonSchema[None] = None
    do_not_contact: StrictBool | SkipJsonSchema[None] = None
    deceased: StrictBool | SkipJsonSchema[None] = None
    moved: StrictBool | SkipJsonSchema[None] = None
    tags: Annotated[list[Tag], Field(max_length=100)] | SkipJsonSchema[None] = None
    custom_fields: CustomFields | SkipJsonSchema[None] = None

    @field_validator("birth_year")
    @classmethod
    def not_in_the_future(cls, value: int | None) -> int | None:
        if value is not None and value > date.today().year:
            raise ValueError("birth_year is in the future")
        return value
