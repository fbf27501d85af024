"""Security headers (issue 11, item 14): personal data is never cached, nothing is sniffed or
framed, pages get a strict Content-Security-Policy, HSTS behind TLS, and the API docs can be
switched off in production."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import Settings
from app.hardening import Hardening
from app.main import create_app
from app.middleware import CSP_API, CSP_DOCS
from tests.builders import API, AssignedList, CampaignFixture


def assert_guarded(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-request-id"]


@asynccontextmanager
async def app_client(
    settings: Settings,
    sessionmaker: async_sessionmaker[Any],
    hardening: Hardening,
    base_url: str = "http://test",
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app made with these switches."""
    app = create_app(settings, sessionmaker, hardening)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as c:
        yield c


async def test_api_answers_are_never_cached_nor_sniffed(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    for response in (
        await client.get(f"{API}/me", headers=camp.organizer.headers),
        await client.get(f"{API}/people", headers=camp.organizer.headers),
        await client.get(f"{API}/people/123456789", headers=camp.organizer.headers),  # 404
        await client.get(f"{API}/me"),  # 401
    ):
        assert_guarded(response)
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["content-security-policy"] == CSP_API
        assert "strict-transport-security" not in response.headers  # plain http


async def test_the_walk_list_keeps_its_etag_flow(
    client: httpx.AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    first = await client.get(url, headers=camp.canvasser.headers)
    assert first.headers["cache-control"] == "private, no-cache"
    assert_guarded(first)
    again = await client.get(
        url, headers={**camp.canvasser.headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == "private, no-cache"
    assert_guarded(again)


async def test_a_request_id_is_kept_when_sane_and_made_otherwise(
    client: httpx.AsyncClient,
) -> None:
    given = await client.get(f"{API}/me", headers={"X-Request-ID": "phone-42.retry_1"})
    assert given.headers["x-request-id"] == "phone-42.retry_1"
    odd = await client.get(f"{API}/me", headers={"X-Request-ID": "a b<script>" + "x" * 80})
    assert odd.headers["x-request-id"] != "a b<script>" + "x" * 80
    assert len(odd.headers["x-request-id"]) == 32


async def test_docs_pages_get_their_own_policy(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert docs.headers["content-security-policy"] == CSP_DOCS
    assert "cache-control" not in docs.headers  # no personal data in the docs
    assert_guarded(docs)


async def test_docs_can_be_switched_off(
    settings: Settings, sessionmaker: async_sessionmaker[Any]
) -> None:
    async with app_client(settings, sessionmaker, Hardening(docs_enabled=False)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert_guarded(response)


async def test_hsts_over_https_or_when_told(
    settings: Settings, sessionmaker: async_sessionmaker[Any]
) -> None:
    async with app_client(settings, sessionmaker, Hardening(), "https://test") as client:
        response = await client.get(f"{API}/me")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    behind_proxy = Hardening(hsts=True, hsts_max_age=600)
    async with app_client(settings, sessionmaker, behind_proxy) as client:
        response = await client.get(f"{API}/me")
        assert response.headers["strict-transport-security"] == "max-age=600; includeSubDomains"


def test_switches_come_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("DOCS_ENABLED", "false")
    monkeypatch.setenv("HSTS", "true")
    monkeypatch.setenv("MAX_FEATURE_VERTICES", "5000")
    hardening = Hardening()
    assert (hardening.docs_enabled, hardening.hsts) == (False, True)
    assert hardening.geometry_limits.max_vertices == 5000
