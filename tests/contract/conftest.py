"""The contract fuzz's harness: schemathesis drives the real app (`create_app` with the test
settings and the test's rolled-back sessionmaker) through a bridge between event loops.

Schemathesis calls an ASGI app from its own event loop, in a thread of its own; the app's
database connection belongs to the test's event loop. `LoopBridge` is the ASGI app that
schemathesis sees: it reads the request where schemathesis sends it, runs the real app on the
test's loop (which stays free: the test awaits the fuzz run in a worker thread), and hands the
answer back. Requests run one at a time, as they share the test's one connection.
"""

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.main import create_app


class LoopBridge:
    """An ASGI app, called on any loop, that serves each request with `app` on `loop`."""

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # the real app's start-up (logging, leftover jobs) is not the contract's business
            while True:
                message = await receive()
                kind = message["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.requests += 1
        answer = asyncio.run_coroutine_threadsafe(self._serve(scope, body), self.loop)
        for message in await asyncio.wrap_future(answer):
            await send(message)

    async def _serve(self, scope: Scope, body: bytes) -> list[Message]:
        sent: list[Message] = []
        done = asyncio.Event()
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()  # as a client that stays until the answer is complete
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        try:
            await self.app(dict(scope), receive, send)
        finally:
            done.set()
        return sent


@pytest.fixture
async def bridge(settings: Settings, sessionmaker: async_sessionmaker[Any]) -> LoopBridge:
    """The app on the test's rolled-back transaction, callable from schemathesis' loop."""
    return LoopBridge(create_app(settings, sessionmaker), asyncio.get_running_loop())
