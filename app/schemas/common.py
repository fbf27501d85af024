"""Types the schemas share: ids that fit a bigint, text that PostgreSQL can store, finite
numbers, and the length limits of people's fields.

PostgreSQL refuses NUL characters in text (and `\\u0000` in jsonb), and a lone UTF-16
surrogate cannot be encoded as UTF-8 at all; JSON can carry both. `text_problem` says why a
string cannot be stored, for the request check (`app.middleware.CleanInput`) and for the
schemas whose items are checked one by one (sync, paper entries), where a bad string rejects
its item and not the whole request.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import core_schema

# The largest id the API takes: 2^53-1, where a bigint column could hold up to 2^63-1. Every id
# is then exact as a JSON number in any client (JavaScript, or a parser that reads numbers as
# doubles), and the document's `maximum` means the same to a client as to the server (near
# 2^63 a double cannot tell 2^63-1 from 2^63). Sequences never come near it.
MAX_ID = 2**53 - 1
# A server-made id: 1 .. MAX_ID. For path and query parameters, request and response fields.
Id = Annotated[int, Ge(1), Le(MAX_ID)]

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")

# Lengths of people's fields (voter file, PATCH, list-code names).
MAX_NAME = 200
MAX_PHONE = 32
MAX_EMAIL = 320
MAX_NOTE = 5000
MAX_SHORT = 100  # sex, party, suffix...


def text_problem(value: str) -> str | None:
    """Why this string cannot be stored (a NUL, a lone surrogate), or None."""
    found = _BAD_CHARS.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains a lone UTF-16 surrogate (not valid Unicode)"


def _storable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def clean_text(value: str) -> str:
    """The string without the characters PostgreSQL cannot store (for values already
    accepted elsewhere, such as a name inside an older token)."""
    return _BAD_CHARS.sub("", value)


# Text that can be stored: no NUL, no lone surrogate.
CleanStr = Annotated[str, AfterValidator(_storable)]


def _bounded(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Storable, trimmed text of bounded length.
NameStr = Annotated[str, _bounded(MAX_NAME, 1), AfterValidator(_storable)]
OptionalNameStr = Annotated[str, _bounded(MAX_NAME), AfterValidator(_storable)]
ShortStr = Annotated[str, _bounded(MAX_SHORT), AfterValidator(_storable)]
PhoneStr = Annotated[str, _bounded(MAX_PHONE), AfterValidator(_storable)]
EmailStr = Annotated[str, _bounded(MAX_EMAIL), AfterValidator(_storable)]
NoteStr = Annotated[str, StringConstraints(max_length=MAX_NOTE), AfterValidator(_storable)]


def _finite_json(value: Any, path: str = "") -> Any:
    """A JSON value without NaN or infinities (JSON has neither) and storable strings."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path or 'value'} must be a finite number")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(f"{path or 'value'} {problem}")
    return value


def _scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError("must be a string, number, boolean or null")
    return _finite_json(value)


# One custom field's value: a scalar (as the voter file gives them), finite, storable.
CustomValue = Annotated[
    Any,
    AfterValidator(_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]
CustomKey = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_storable)
]
CustomFields = Annotated[dict[CustomKey, CustomValue], Field(max_length=200)]

# A finite float (JSON has no NaN or Infinity; Python's parser lets them through).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


@dataclass(frozen=True)
class CheckedAlone:
    """`Annotated[Any, CheckedAlone(Model)]`: a list item that the request takes as it comes
    (so that one bad item is rejected alone by its endpoint, never the whole request), but that
    the OpenAPI document describes as `Model`, the shape the endpoint then checks it against:
    a client generated from the document gets the item's type."""

    model: type[BaseModel]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        described = handler(self.model)
        return core_schema.any_schema(
            metadata={"pydantic_js_annotation_functions": [lambda _, to_json: to_json(described)]},
            # as pydantic's SkipValidation does: the model's schema stays part of the core
            # schema, so that its definitions (nested models) are kept for the JSON schema
            serialization=core_schema.wrap_serializer_function_ser_schema(
                lambda value, serialize: serialize(value), schema=described
            ),
        )


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    """Pydantic reads a number as a Unix time; the contract says ISO 8601 text, and a client
    sending 0.5 for a date has made a mistake worth a 422."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date or date-time, not a number")
    return value


# ISO 8601 text only (the document's `format: date-time` / `date`), never a Unix time.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]
