"""Typed errors and the one handler that turns every error into application/problem+json.

Services raise these; they never build HTTP responses themselves. Anything that escapes as an
unexpected exception is logged and answered with a 500 problem, never with a stack trace.
"""

import json
import logging
from typing import Any, Self

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("doorstep")

PROBLEM_JSON = "application/problem+json"


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
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'features', 3, 'geometry') -> 'body.features[3].geometry'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    return [{"loc": _loc(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in errors]


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem(400, "Malformed JSON", "The request body is not valid JSON", errors)
    return problem(422, "Unprocessable content", "The request does not match the schema", errors)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {401: "Not authenticated", 404: "Not found", 405: "Method not allowed"}
    title = titles.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    return problem(exc.status_code, title, detail, headers=getattr(exc, "headers", None))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal server error", "An unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
