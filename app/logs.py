"""Logging without personal data: JSON lines with the request id, and errors as their type and
stack frames only.

An exception's message can hold what the request carried: SQLAlchemy renders the statement with
its parameters (argon2 hashes, phone numbers, voter fields), asyncpg quotes the value it could
not encode, PostgreSQL repeats a duplicate key. So errors are logged by type (and SQLSTATE) with
the file, line and function of each frame, never with a message, and the formatter renders any
`exc_info` that other code logs the same way.
"""

import json
import logging
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def new_request_id() -> str:
    return uuid.uuid4().hex


def error_type(exc: BaseException) -> str:
    """`module.Type`, with the SQLSTATE of a database error: what was wrong, not with what."""
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    origin = getattr(exc, "orig", None)
    sqlstate = getattr(origin, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if origin is not None:
        kind += f" ({type(origin).__qualname__}{f', SQLSTATE {sqlstate}' if sqlstate else ''})"
    return kind


def safe_traceback(exc: BaseException) -> list[str]:
    """The chain of exceptions as types and frames (file:line in function), no messages and
    no source text (a line of source can hold a literal, a frame's locals never appear)."""
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        out.append(error_type(current))
        out.extend(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
        current = current.__cause__ or current.__context__
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and for errors their
    type and frames (`safe_traceback`), never their text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # given by the caller, or the request being served (handlers format as records are
        # written, in the request's context)
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key in ("error", "status", "method", "path", "route", "duration_ms", "campaign_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = error_type(record.exc_info[1])
            entry["traceback"] = safe_traceback(record.exc_info[1])
        elif hasattr(record, "frames"):
            entry["traceback"] = record.frames
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the app's loggers and the server's error logger (whose
    "Exception in ASGI application" would otherwise print a full traceback with messages)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        server = logging.getLogger(name)
        for existing in server.handlers:
            existing.setFormatter(JsonFormatter())
    # uvicorn's access log prints paths with their query strings (`?q=` holds names): our
    # own request log (`app.observability.request_log`) replaces it
    logging.getLogger("uvicorn.access").disabled = True
