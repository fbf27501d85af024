"""Admission control: a saturated process sheds load with 503 and Retry-After.

On canvass day thousands of phones come back into signal at once. Past what the process and
its connection pool can serve, more concurrent requests only lengthen every queue: each waits
for a pooled connection, latencies grow to tens of seconds, and at the pool's timeout the
requests fail anyway. So each process serves at most `MAX_CONCURRENT_REQUESTS` API requests at
a time; a request beyond that waits up to `ADMISSION_WAIT_S` for a place and is otherwise
answered 503 with `Retry-After`, at once and without touching the database. Phones keep their
results and send them again after the delay; the requests admitted stay fast.

Only the API is gated: health checks and metrics must answer while the API is saturated.
"""

import asyncio
import contextlib

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import problem
from app.observability.metrics import REGISTRY

SHED = Counter(
    "doorstep_requests_shed_total",
    "API requests answered 503 because the process was saturated",
    registry=REGISTRY,
)
RETRY_AFTER_S = 1


class Admission:
    """At most `limit` API requests in flight in this process; `wait_s` to get a place."""

    def __init__(self, app: ASGIApp, limit: int, wait_s: float, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.wait_s = wait_s
        self.places = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.wait_for(self.places.acquire(), self.wait_s)
        except TimeoutError:
            SHED.inc()
            answer = problem(
                503,
                "Service unavailable",
                "The server is at capacity; send the request again after Retry-After seconds",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
            with contextlib.suppress(OSError):
                await answer(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.places.release()
