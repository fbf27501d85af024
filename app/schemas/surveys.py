import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, model_validator

from app.models.survey import QuestionKind
from app.schemas.common import CleanStr, text_problem
from app.schemas.people import Tag

Text = Annotated[CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z+\-]{1,8}$")]
CUSTOM_FIELD = r"custom:[A-Za-z0-9_][A-Za-z0-9_ .\-]{0,63}"
ProfileField = Annotated[str, StringConstraints(pattern=f"^{CUSTOM_FIELD}$")]
BOOLEAN_FIELDS = ("is_volunteer", "is_donor", "do_not_contact")


def _custom_problem(field: str, value: str | float | bool) -> str | None:
    """What is wrong with writing `value` into the custom field, if anything."""
    if len(field) > 64 + len("custom:"):
        return f"{field[:80]!r}: a custom field name has at most 64 characters"
    name_problem = text_problem(field)
    if name_problem:
        return f"the field name {name_problem}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{field} must be a finite number"
    if isinstance(value, str):
        if len(value) > 500:
            return f"{field} is longer than 500 characters"
        value_problem = text_problem(value)
        if value_problem:
            return f"{field} {value_problem}"
    return None


class Effects(BaseModel):
    """What choosing an option writes into the person's profile."""

    model_config = ConfigDict(extra="forbid")

    set: dict[str, Any] = Field(
        default_factory=dict,
        max_length=20,
        description="Profile fields to write: support_level (1-5), is_volunteer, is_donor, "
        "do_not_contact (true/false), or custom:NAME (text, number or true/false)",
        json_schema_extra={
            "properties": {
                "support_level": {"type": "integer", "minimum": 1, "maximum": 5},
                **{field: {"type": "boolean"} for field in BOOLEAN_FIELDS},
            },
            "patternProperties": {
                f"^{CUSTOM_FIELD}$": {
                    "anyOf": [
                        {"type": "string", "maxLength": 500},
                        {"type": "number"},
                        {"type": "boolean"},
                    ]
                }
            },
            "additionalProperties": False,
        },
    )
    tags_add: list[Tag] = Field(default_factory=list)
    tags_remove: list[Tag] = Field(default_factory=list)

    @model_validator(mode="after")
    def known_fields_and_values(self) -> "Effects":
        for field, value in self.set.items():
            if field == "support_level":
                if isinstance(value, float) and value.is_integer():
                    value = self.set[field] = int(value)  # 2.0 is the JSON integer 2
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                    raise ValueError("support_level must be an integer from 1 to 5")
            elif field in BOOLEAN_FIELDS:
                if not isinstance(value, bool):
                    raise ValueError(f"{field} must be true or false")
            elif field.startswith("custom:") and len(field) > len("custom:"):
                if not isinstance(value, str | int | float | bool):
                    raise ValueError(f"{field} must be a string, number or boolean")
                problem = _custom_problem(field, value)
                if problem:
                    raise ValueError(problem)
            else:
                raise ValueError(
                    f"unknown profile field {field!r}; use support_level, is_volunteer, "
                    "is_donor, do_not_contact or custom:NAME"
                )
        both = set(self.tags_add) & set(self.tags_remove)
        if both:
            raise ValueError(f"tags both added and removed: {sorted(both)}")
        return self


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text
    code: Code = Field(description="Short code printed on paper sheets: '1', 'Y', 'N'...")
    effects: Effects | None = None


_CHOICE_KINDS: list[JsonValue] = [
    QuestionKind.single_choice.value,
    QuestionKind.multiple_choice.value,
]


class QuestionIn(BaseModel):
    # The rules of `options_fit_the_kind`, in the schema (but unique codes, which JSON Schema
    # cannot say of objects): choice questions have options and no profile_field, the others
    # have no options.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"kind": {"enum": _CHOICE_KINDS}}, "required": ["kind"]},
            "then": {
                "required": ["options"],
                "properties": {"options": {"minItems": 1}, "profile_field": {"type": "null"}},
            },
            "else": {"properties": {"options": {"maxItems": 0}}},
        },
    )

    prompt: Text
    kind: QuestionKind
    profile_field: ProfileField | None = Field(
        default=None, description="For text and number questions: custom:NAME receives the answer"
    )
    options: list[OptionIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def options_fit_the_kind(self) -> "QuestionIn":
        choice = self.kind in (QuestionKind.single_choice, QuestionKind.multiple_choice)
        if choice and not self.options:
            raise ValueError(f"a {self.kind.value} question needs options")
        if not choice and self.options:
            raise ValueError(f"a {self.kind.value} question has no options")
        if choice and self.profile_field:
            raise ValueError("profile_field is for text and number questions; options have effects")
        codes = [o.code.upper() for o in self.options]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"option codes must be unique within a question: {repeated}")
        return self


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    questions: list[QuestionIn] = Field(min_length=1, max_length=100)


class OptionOut(BaseModel):
    id: int
    code: str
    label: str
    effects: dict[str, Any]


class QuestionOut(BaseModel):
    id: int
    number: int
    prompt: str
    kind: QuestionKind
    profile_field: str | None
    options: list[OptionOut]


class SurveyOut(BaseModel):
    id: int
    name: str
    questions: list[QuestionOut]
    created_at: datetime | None


class SurveySummary(BaseModel):
    id: int
    name: str
    question_count: int
    created_at: datetime | None
