"""Cursor pagination (NationBuilder style): `{"results": [...], "next": URL | null}`.

The cursor is opaque to clients: the last id of the page, in hexadecimal. Keyset paging on the
primary key stays fast on the millionth row, where OFFSET would not. Its pattern in the
OpenAPI document is exact: every string that matches it is a cursor the server takes (at most
15 hex digits, an id below 2^60, far inside a bigint), and anything else is refused with a 400
naming `query.cursor`, never passed on to the database.
"""

import re
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, WithJsonSchema

from app.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    results: list[T]
    next: str | None


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    after_id: int | None = None


CURSOR_PATTERN = "^[0-9a-f]{1,15}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(last_id: int) -> str:
    return format(last_id, "x")


def decode_cursor(cursor: str) -> int:
    """The id after which the page starts; a cursor no `next` link could hold is a 400."""
    if not _CURSOR.fullmatch(cursor):
        raise BadRequest.on_field(
            "query.cursor", "invalid cursor: follow the `next` link", "Invalid cursor"
        )
    return int(cursor, 16)


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    # The pattern is not checked by FastAPI (that would be a 422 without our message): the
    # same check is `decode_cursor`'s.
    cursor: Annotated[
        Annotated[str, WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN})] | None,
        Query(description="Opaque cursor from a previous `next`"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after_id=None if cursor is None else decode_cursor(cursor))


def make_page(
    request: Request, rows: list[T], page: PageParams, key: Callable[[T], int]
) -> Page[T]:
    """A page from `rows` fetched with limit+1: the extra row only says that more follow."""
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    nxt = None
    if more:
        cursor = encode_cursor(key(rows[-1]))
        nxt = str(request.url.include_query_params(cursor=cursor, limit=page.limit))
    return Page[Any](results=rows, next=nxt)
