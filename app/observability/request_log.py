"""One JSON log line per request, and its latency in the metrics.

The line names the route template, never the path (ids) or the query string (`?q=` is a
name someone typed), with the request id, status, duration and campaign. uvicorn's own access
log prints paths and query strings, so `app.logs.configure_logging` turns it off.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id
from app.observability.metrics import REQUEST_SECONDS

log = logging.getLogger("doorstep.request")
UNMATCHED = "unmatched"  # no route: 404s for paths that do not exist, one series for all


def route_of(scope: Scope) -> str:
    """The matched route's template with its router's prefix. FastAPI puts the route as
    declared (`/walk_lists/{list_id}`) in the scope, without the prefix it was included
    under; the prefix holds no parameters, so it is the request path's leading segments."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    segments = scope.get("path", "").split("/")
    prefix = "/".join(segments[: len(segments) - len(template.split("/")) + 1])
    return prefix + template


class RequestLog:
    """Measures and logs each HTTP request once it has been answered (or failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # the tenant dependency writes the campaign into the request's state (the same dict)
        state = scope.setdefault("state", {})

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            method = scope.get("method", "")
            REQUEST_SECONDS.labels(method, route, f"{status // 100}xx").observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "campaign_id": state.get("campaign_id"),
                    "request_id": request_id.get(),
                },
            )
