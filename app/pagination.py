"""Cursor pagination (NationBuilder style): `{"results": [...], "next": URL | null}`.

The cursor is opaque to clients: the last id of the page, base64-encoded. Keyset paging on the
primary key stays fast on the millionth row, where OFFSET would not.
"""

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel

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


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadRequest.on_field("query.cursor", "invalid cursor", "Invalid cursor") from None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="Opaque cursor from a previous `next`")] = None,
) -> PageParams:
    return PageParams(limit=limit, after_id=decode_cursor(cursor) if cursor else None)


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
