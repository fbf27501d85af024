"""The browser harness: a real uvicorn serving the app (and the test database) on a free port
of 127.0.0.1, and Debian's Chromium driven by Playwright through `executable_path` (Playwright's
own browser download is neither needed nor possible here). Pages open in a phone-sized,
touch context (the data-entry screen: a desktop one). Screenshots go to `test-output/web/`."""

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import Settings
from app.main import create_app

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_FOUND = Path(CHROMIUM).exists()
# Chromium as root, on a machine with no network beyond loopback: no sandbox, no background
# connections to Google's services (refused here, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}  # the data-entry clerk's screen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live_server(
    settings: Settings, live_sessionmaker: async_sessionmaker[Any]
) -> AsyncIterator[str]:
    """uvicorn on 127.0.0.1 in this process's loop, over committed sessions as the API role."""
    port = _free_port()
    app = create_app(settings, live_sessionmaker)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_FOUND:
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, chromium_sandbox=False
        )
        yield launched
        await launched.close()


@pytest.fixture
async def phone(browser: Browser, live_server: str) -> AsyncIterator[BrowserContext]:
    """A phone's browser, fresh (no storage), pointed at the live server."""
    context = await browser.new_context(base_url=live_server, **PHONE)
    yield context
    await context.close()


@pytest.fixture
async def page(phone: BrowserContext) -> Page:
    return await phone.new_page()


@pytest.fixture
async def desk_page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    """A desktop browser page (data entry), fresh, pointed at the live server."""
    context = await browser.new_context(base_url=live_server, **DESK)
    yield await context.new_page()
    await context.close()
