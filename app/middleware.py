"""ASGI middleware, outermost first:

- `ResponseGuard`: a request id (in the logs and the `X-Request-ID` header), the security
  headers on every answer, and the last-resort 500 for whatever escaped (logged by type and
  frames, never its message, and never re-raised to the server, whose log would print it).
- `BodySizeLimit`: 413 for bodies over the limit, enforced while the body streams in
  (Content-Length can lie or be absent), whatever the app then makes of the cut-off body.
- `CleanInput`: 422 for text PostgreSQL cannot store (NUL, lone surrogates) in the path, the
  query or a JSON or form body, and for NaN/Infinity in JSON; 400 for JSON nested too deep.
"""

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge, last_resort, problem
from app.hardening import Hardening
from app.jsonscan import json_depth
from app.logs import new_request_id, request_id
from app.schemas.common import clean_text, text_problem


class BodySizeLimit:
    """413 for bodies over the limit: uploads (multipart) get a larger one than JSON."""

    def __init__(self, app: ASGIApp, max_json: int, max_upload: int) -> None:
        self.app = app
        self.max_json = max_json
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.max_upload if content_type.startswith("multipart/") else self.max_json
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                # Whatever the app made of the cut-off body (FastAPI: a 400 "error parsing
                # the body"), the answer is ours: 413.
                if message["type"] == "http.response.start" and not response_started:
                    response_started = True
                    await self._reject(scope, receive, send, limit)
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        # raised where no handler saw it (e.g. while parsing a form)
        with contextlib.suppress(PayloadTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not response_started:
            await self._reject(scope, receive, send, limit)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413, "Payload too large", f"The request body is larger than {limit} bytes"
        )
        await response(scope, receive, send)


# --- security headers and request ids -------------------------------------------------------

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{1,64}$")
# An API answer is data, never a page: nothing may load from it or frame it.
CSP_API = "default-src 'none'; frame-ancestors 'none'"
# Pages (the web app under /app/): only what the server itself serves.
CSP_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc load their scripts and styles from a CDN and start them inline.
CSP_DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
WEB_PATH = "/app"  # the web app (app/web.py)


class ResponseGuard:
    """Every answer gets `X-Request-ID`, `X-Content-Type-Options: nosniff`, a
    Content-Security-Policy fitting what it is, `Referrer-Policy: no-referrer`, and HSTS over
    https (or always, with `hsts`). API answers carry personal data: `Cache-Control: no-store`
    unless the endpoint chose its own (the walk list's ETag flow: `private, no-cache`)."""

    def __init__(self, app: ASGIApp, hardening: Hardening, api_prefix: str) -> None:
        self.app = app
        self.hardening = hardening
        self.api_prefix = api_prefix

    def _headers(self, scope: Scope, headers: MutableHeaders, rid: str) -> None:
        path: str = scope.get("path", "")
        headers["X-Request-ID"] = rid
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        if "content-security-policy" not in headers:
            # The web app's files by their path: a 304 to a page has no content type, and the
            # browser applies the 304's policy to the page it kept.
            page = path.startswith(WEB_PATH) or headers.get("content-type", "").startswith(
                "text/html"
            )
            if path.startswith(DOCS_PATHS):
                headers["Content-Security-Policy"] = CSP_DOCS
            else:
                headers["Content-Security-Policy"] = CSP_PAGE if page else CSP_API
        if path.startswith(self.api_prefix) and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"
        if self.hardening.hsts or scope.get("scheme") == "https":
            headers["Strict-Transport-Security"] = (
                f"max-age={self.hardening.hsts_max_age}; includeSubDomains"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = given.decode("ascii") if _REQUEST_ID.match(given) else new_request_id()
        token = request_id.set(rid)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._headers(scope, MutableHeaders(scope=message), rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            answer = last_resort(exc, scope.get("method"), scope.get("path"))
            if not started:
                await answer(scope, receive, send_with_headers)
        finally:
            request_id.reset(token)


# --- text and numbers the database cannot store -----------------------------------------------

# Cheap first look at a JSON body's bytes (substring searches, a few ms a MB): only when one
# of these appears is it parsed and walked. A \u escape (\u0000, or a surrogate \uD800-\uDFFF)
# or NaN/Infinity (not JSON, but Python's parser takes them). A number that overflows to
# infinity (1e999) is left to the schemas, whose floats are all finite.
_ESCAPES = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")


def _suspect_json(body: bytes) -> bool:
    return (b"\\u" in body and _ESCAPES.search(body) is not None) or any(
        word in body for word in (b"NaN", b"Infinity")
    )


_JSON_TYPES = re.compile(r"^application/([a-z0-9.\-]+\+)?json\s*(;|$)")
_FORM = "application/x-www-form-urlencoded"
MAX_REPORTED = 20
_LARGE_BODY = 256 * 1024


def _walk(value: Any, loc: str) -> Iterator[tuple[str, str]]:
    """(loc, message) for each string that cannot be stored and each non-finite number."""
    stack: list[tuple[Any, str]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            problem_ = text_problem(item)
            if problem_:
                yield where, problem_
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                yield where, "must be a finite number (JSON has no NaN or Infinity)"
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                key_problem = text_problem(key)
                if key_problem:
                    yield f"{where}.{clean_text(key)}", f"the key {key_problem}"
                stack.append((child, f"{where}.{clean_text(key)}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in reversed(list(enumerate(item))))


def _pairs_problems(pairs: list[tuple[str, str]], loc: str) -> list[tuple[str, str]]:
    found = []
    for key, value in pairs:
        key_problem = text_problem(key)
        if key_problem:
            found.append((f"{loc}.{clean_text(key)}", f"the name {key_problem}"))
        elif value_problem := text_problem(value):
            found.append((f"{loc}.{key}", value_problem))
    return found


class CleanInput:
    """Refuses, before any endpoint runs, the input that would otherwise reach PostgreSQL and
    fail there: 422 naming each place (`path`, `query.<name>`, `body.<field>[i]...`).

    `itemwise`: paths (regular expressions) whose JSON bodies are checked item by item by their
    endpoints (a sync batch, paper entries, a precinct file), where one bad item is rejected
    alone and must not sink the request; their path and query are still checked here."""

    def __init__(self, app: ASGIApp, hardening: Hardening, itemwise: list[str]) -> None:
        self.app = app
        self.max_depth = hardening.max_json_depth
        self.itemwise = [re.compile(p) for p in itemwise]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = self._url_problems(scope)
        if problems:
            await self._refuse(problems, scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower().strip()
        is_json = bool(_JSON_TYPES.match(content_type))
        if not (is_json or content_type.startswith(_FORM)):
            await self.app(scope, receive, send)
            return
        body, more = await self._read_body(receive)
        replay = self._replay(body, more, receive)
        if is_json:
            depth = json_depth(body)
            if depth > self.max_depth:
                detail = f"The JSON body is nested {depth} levels deep; at most {self.max_depth}"
                await problem(400, "JSON nested too deeply", detail)(scope, replay, send)
                return
            if not any(p.match(scope.get("path", "")) for p in self.itemwise):
                problems = self._json_problems(body)
        else:
            pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
            problems = _pairs_problems(pairs, "body")
        if problems:
            await self._refuse(problems, scope, replay, send)
            return
        if len(body) > _LARGE_BODY:
            # the app's JSON parse comes next, as long again: let other requests in between
            await asyncio.sleep(0)
        await self.app(scope, replay, send)

    @staticmethod
    def _url_problems(scope: Scope) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        path_problem = text_problem(scope.get("path", ""))
        if path_problem:
            problems.append(("path", path_problem))
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8")
            problems += _pairs_problems(pairs, "query")
        return problems

    @staticmethod
    def _json_problems(body: bytes) -> list[tuple[str, str]]:
        if not _suspect_json(body):
            return []
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            return []  # malformed: the endpoint answers 400 with the position
        found: list[tuple[str, str]] = []
        for problem_ in _walk(value, "body"):
            found.append(problem_)
            if len(found) >= MAX_REPORTED:
                break
        return found

    @staticmethod
    async def _read_body(receive: Receive) -> tuple[bytes, bool]:
        """The whole body (the size limit outside this middleware bounds it)."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks), True

    @staticmethod
    def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                if complete:
                    return {"type": "http.request", "body": body, "more_body": False}
                return {"type": "http.disconnect"}
            return await receive()

        return replay

    @staticmethod
    async def _refuse(
        problems: list[tuple[str, str]], scope: Scope, receive: Receive, send: Send
    ) -> None:
        errors = [{"loc": loc, "message": message} for loc, message in problems]
        detail = "The request holds text or numbers that cannot be stored: " + ", ".join(
            f"{loc} {message}" for loc, message in problems[:3]
        )
        await problem(422, "Unprocessable content", detail, errors)(scope, receive, send)
