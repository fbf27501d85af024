"""The API contract: the OpenAPI document FastAPI generates, completed with every error an
operation can answer (`app.contract` renders it as YAML: `make openapi` writes openapi.yaml).

FastAPI documents what the endpoints return and a 422 in its own JSON shape. Our errors are all
`application/problem+json` (`app.errors`), and most of them come from places FastAPI cannot see:
the token and role gates (401, 403), the lookups behind path ids (404), the body limits and the
input checks of the middleware (400, 413, 422), the throttles (429), load shedding (503). Rather
than repeat them on every route, `complete` derives them from what the generated document says
about each operation (its security, path parameters, body and query), adds the few that only
some services raise (`EXTRA_ERRORS`), and gives every error the `Problem` schema, so that a
client generated from the document knows each status and its body.
"""

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.errors import PROBLEM_JSON

API_PREFIX = "/api/v1"
_REF = "#/components/schemas/"

PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "ProblemError": {
        "type": "object",
        "description": "What is wrong with one part of the request",
        "properties": {
            "loc": {
                "type": "string",
                "description": 'Where: "body.features[3].geometry", "query.cursor", "path"',
            },
            "message": {"type": "string"},
        },
        "required": ["loc", "message"],
    },
    "Problem": {
        "type": "object",
        "description": "An error (RFC 9457 problem details)",
        "properties": {
            "type": {"type": "string", "description": "Always about:blank"},
            "title": {"type": "string", "description": "The status in words"},
            "status": {"type": "integer", "description": "The HTTP status"},
            "detail": {"type": "string", "description": "What happened, for a person"},
            "errors": {
                "type": "array",
                "items": {"$ref": f"{_REF}ProblemError"},
                "description": "The fields at fault, when the error is about fields",
            },
            "request_id": {
                "type": "string",
                "description": "500 only: the id to quote when reporting the error",
            },
        },
        "required": ["type", "title", "status", "detail"],
        # some errors add members (a login naming the campaigns where the password matched)
        "additionalProperties": True,
    },
}

# Errors that FastAPI cannot see in a route's signature, with the situations they stand for.
SIGNED_IN = {
    401: "No token, or its session has ended (WWW-Authenticate: Bearer)",
    403: "The caller's role may not do this, the token is a list code's, or a temporary "
    "password must be changed first",
}
NOT_FOUND = {404: "No such object in the caller's campaign (another campaign's id answers 404 too)"}
BODY = {
    400: "The body is not valid JSON, or is nested too deeply",
    413: "The body is larger than the limit (or holds more items than one request takes)",
}
INVALID = {
    422: "The request does not match the schema, or holds text or numbers that cannot be "
    "stored (NUL characters, lone surrogates, NaN or Infinity, ids beyond 2^63-1)",
}
CURSOR = {400: "The cursor is not one that a `next` link gave"}
UNAVAILABLE = {
    503: "The server is saturated or its database is unreachable: retry after Retry-After",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
AUTHENTICATE = {
    "WWW-Authenticate": {"description": "The scheme to use: Bearer", "schema": {"type": "string"}}
}

# What only some services answer, by (method, path without the /api/v1 prefix).
_ERASED = {409: "The person was erased"}
EXTRA_ERRORS: dict[tuple[str, str], dict[int, str]] = {
    ("delete", "/turfs/{turf_id}"): {409: "The turf is in use by a walk list"},
    ("patch", "/people/{person_id}"): _ERASED,
    ("put", "/people/{person_id}/tags/{tag}"): _ERASED,
    ("delete", "/people/{person_id}/tags/{tag}"): _ERASED,
    ("post", "/imports/{import_id}/cancel"): {409: "The job has already ended"},
}


def _derived_errors(method: str, path: str, operation: dict[str, Any]) -> dict[int, str]:
    """The errors an operation can answer, from what the document says about it."""
    params = operation.get("parameters", [])
    found: dict[int, str] = {}
    if operation.get("security"):
        found.update(SIGNED_IN)
    if any(p.get("in") == "path" for p in params):
        found.update(NOT_FOUND)
    body = operation.get("requestBody")
    if body:
        found.update(BODY)
    if body or params:
        found.update(INVALID)
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in params):
        found.setdefault(400, CURSOR[400])
    if path.startswith(API_PREFIX):
        found.update(UNAVAILABLE)  # every API operation uses the database
    found.update(EXTRA_ERRORS.get((method, path.removeprefix(API_PREFIX)), {}))
    return found


def _problem_response(description: str, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"{_REF}Problem"}}},
    }
    if status in (429, 503):
        response["headers"] = copy.deepcopy(RETRY_AFTER)
    elif status == 401:
        response["headers"] = copy.deepcopy(AUTHENTICATE)
    return response


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> None:
    """Move the `$defs` of a schema written by hand (`openapi_extra`, from
    `model_json_schema(ref_template=...)`) into the components, where its refs point."""
    if isinstance(node, dict):
        defs = node.pop("$defs", None)
        if isinstance(defs, dict):
            for name, schema in defs.items():
                schemas.setdefault(name, schema)
                _hoist_defs(schema, schemas)
        for value in node.values():
            _hoist_defs(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _hoist_defs(value, schemas)


def _name_inline_models(node: Any, schemas: dict[str, Any], top: bool = True) -> Any:
    """An object schema with a title inside another schema (an item described by
    `CheckedAlone`, which pydantic writes inline) becomes a component of that name, so that a
    client generator names its type after the model."""
    if isinstance(node, list):
        return [_name_inline_models(value, schemas, top=False) for value in node]
    if not isinstance(node, dict):
        return node
    named = {
        key: _name_inline_models(value, schemas, top=key in ("properties", "$defs"))
        for key, value in node.items()
    }
    title = named.get("title")
    if not top and isinstance(title, str) and "properties" in named and title.isidentifier():
        schemas.setdefault(title, named)
        return {"$ref": f"{_REF}{title}"}
    return named


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's errors declared as problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(PROBLEM_SCHEMAS))
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _hoist_defs(operation.get("requestBody"), schemas)
            if "requestBody" in operation:
                operation["requestBody"] = _name_inline_models(operation["requestBody"], schemas)
            responses: dict[str, Any] = operation["responses"]
            for code, text in _derived_errors(method, path, operation).items():
                responses.setdefault(str(code), {"description": text})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    described = response.get("description") or "Error"
                    if status == "422" and "content" in response:
                        # FastAPI's own 422 shape: ours is a problem
                        described = INVALID[422]
                    responses[status] = {**response, **_problem_response(described, int(status))}
            operation["responses"] = dict(sorted(responses.items()))
    for name, schema in list(schemas.items()):
        schemas[name] = _name_inline_models(schema, schemas)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f"{_REF}{unused}" not in str(document.get("paths")):
            del schemas[unused]
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (and in /docs). Once per app."""
    if getattr(app.state, "contract_installed", False):
        return
    app.state.contract_installed = True
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
