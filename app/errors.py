"""Typed errors and the one handler that turns every error into application/problem+json.

Services raise these; they never build HTTP responses themselves. A value the database cannot
store (a number out of range, a character PostgreSQL refuses) is a 422, as the last line
behind the schemas' own checks. Anything else that escapes is logged by its type, frames and
request id (never its message, which can hold SQL parameters: `app.logs`) and answered with a
500 problem, never with a stack trace.
"""

import json
import logging
from typing import Any, Self

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.logs import error_type, request_id, safe_traceback
from app.schemas.common import clean_text

log = logging.getLogger("doorstep")

PROBLEM_JSON = "application/problem+json"


class ProblemResponse(JSONResponse):
    """application/problem+json, ASCII-escaped: a detail that quotes what the client sent
    can never fail to encode (a lone surrogate has no UTF-8)."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


class AppError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers

    @classmethod
    def on_field(cls, loc: str, message: str, detail: str | None = None) -> Self:
        """An error about one field: `loc` names it ("body.area", "query.cursor")."""
        return cls(detail or message, [{"loc": loc, "message": message}])

    @classmethod
    def on_fields(cls, detail: str, problems: list[tuple[str, str]]) -> Self:
        """An error about several fields: (loc, message) each."""
        return cls(detail, [{"loc": loc, "message": message} for loc, message in problems])


class BadRequest(AppError):
    status = 400
    title = "Bad request"


class Unauthorized(AppError):
    status = 401
    title = "Not authenticated"

    def __init__(self, detail: str = "Missing or invalid credentials") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    title = "Not found"


class Conflict(AppError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    title = "Payload too large"


class Unprocessable(AppError):
    status = 422
    title = "Unprocessable content"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(members)
    return ProblemResponse(body, status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'features', 3, 'geometry') -> 'body.features[3].geometry'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + clean_text(str(part))
    return out


def _without_optional_members(errors: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(loc, message) of each error, with the member tags of optional fields taken out.

    A field that may be left out but not sent as null (`X | SkipJsonSchema[None]`) is a union
    to pydantic: a bad value fails both members, and each error's loc names the member
    ("custom_fields", "dict[...]", "score"; "custom_fields", "none"). The client sent neither:
    the `None` member's error goes, and the other's loc names the field as sent."""
    optional = {
        tuple(e["loc"][:-1])
        for e in errors
        if e.get("type") == "none_required" and len(e.get("loc", ())) > 1
    }
    out = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        if e.get("type") == "none_required" and loc[:-1] in optional:
            continue
        for n in range(len(loc) - 1, 0, -1):
            if loc[:n] in optional:
                loc = loc[:n] + loc[n + 1 :]
                break
        out.append((loc, str(e.get("msg", "invalid"))))
    return out


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic's errors as {loc, message}; a key the client sent with a NUL or a lone
    surrogate in it is named without them."""
    return [
        {"loc": _loc(loc), "message": clean_text(message)}
        for loc, message in _without_optional_members(errors)
    ]


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem(400, "Malformed JSON", "The request body is not valid JSON", errors)
    return problem(422, "Unprocessable content", "The request does not match the schema", errors)


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _TITLES.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        if isinstance(exc.__cause__, RecursionError):
            title, detail = "JSON nested too deeply", "The JSON body is nested too deeply"
        else:
            title, detail = "Malformed request body", "The request body could not be read"
    return problem(exc.status_code, title, detail, headers=getattr(exc, "headers", None))


# The data exceptions (SQLSTATE class 22) that only a value sent by the client causes: out of
# range (a number, a date), a byte sequence UTF-8 cannot hold (a NUL), a Unicode escape jsonb
# cannot hold (\u0000), text that is not of the type; 22000 is what the driver reports when it
# cannot even encode the value (an int beyond 64 bits, a lone surrogate). The others (division
# by zero...) would be our fault: 500.
_CLIENT_DATA_ERRORS = frozenset({"22000", "22003", "22007", "22008", "22021", "22P02", "22P05"})


def is_data_error(exc: BaseException) -> bool:
    """A value the database (or its driver) cannot take: the request's fault, not ours."""
    if not isinstance(exc, DBAPIError):
        return False
    origin = exc.orig
    sqlstate = getattr(origin, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in _CLIENT_DATA_ERRORS
    # asyncpg refuses on the client side what it cannot encode: an int beyond 64 bits, a lone
    # surrogate in a string (asyncpg.exceptions.DataError, or the raw Python error)
    kind = type(origin).__name__
    cause = getattr(origin, "__cause__", None)
    return kind in ("DataError", "OverflowError", "UnicodeEncodeError") or isinstance(
        cause, OverflowError | UnicodeEncodeError
    )


# The database is down, restarting or out of reach (SQLSTATE class 08, and 57P01-57P03: shut
# down, crashed, starting up), or every pooled connection is busy: a moment's unavailability,
# answered 503 with Retry-After so that phones keep their results and try again.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")
_UNAVAILABLE_ERRORS = (
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "InterfaceError",
)
RETRY_AFTER_S = 2


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot serve right now (not a bug, not the client's fault)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PoolTimeout | ConnectionError | TimeoutError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_STATES):
            return True
        if type(current).__name__ in _UNAVAILABLE_ERRORS:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def last_resort(exc: BaseException, method: str | None, path: str | None) -> JSONResponse:
    """The answer to an error no handler took: 503 when the database is out of reach, else
    the 500, logged by type and frames."""
    if is_unavailable(exc):
        log.warning("database unavailable", extra={"error": error_type(exc)})
        return unavailable_response()
    log_unexpected(exc, method, path)
    return unexpected_response()


def unavailable_response() -> JSONResponse:
    return problem(
        503,
        "Service unavailable",
        "The database is not reachable or too busy right now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if is_unavailable(exc):
        log.warning("database unavailable", extra={"error": error_type(exc)})
        return unavailable_response()
    if not is_data_error(exc):
        raise exc  # a fault of ours: the 500 path logs it (without its message)
    log.warning(
        "a value the database refused",
        extra={
            "error": error_type(exc),
            "method": request.method,
            "path": request.url.path,
            "request_id": request_id.get(),
        },
    )
    return problem(
        422,
        "Unprocessable content",
        "A value cannot be stored: a number is out of range, or a text holds characters that "
        "are not allowed (such as NUL)",
    )


def log_unexpected(exc: BaseException, method: str | None = None, path: str | None = None) -> None:
    """Log an unexpected error by type, frames and request id; never its message."""
    log.error(
        "unhandled error",
        extra={
            "error": error_type(exc),
            "frames": safe_traceback(exc),
            "method": method,
            "path": path,
            "request_id": request_id.get(),
        },
    )


def unexpected_response() -> JSONResponse:
    """The 500 problem, with the request id to quote when reporting it."""
    rid = request_id.get()
    members: dict[str, Any] = {"request_id": rid} if rid else {}
    return problem(500, "Internal server error", "An unexpected error occurred", **members)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return last_resort(exc, request.method, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
