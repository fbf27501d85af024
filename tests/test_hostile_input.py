"""Hostile input never gets a 500 (issue 11, items 12 and 15): text PostgreSQL cannot store
(a NUL, a lone surrogate) anywhere in a request, NaN and Infinity where JSON has none, ids
beyond a bigint in paths, queries, cursors and bodies, oversized and deeply nested bodies,
and fields longer or older than any real one. Each is a 4xx problem naming what is wrong."""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.builders import API, CampaignFixture, CampaignWorld

BIG = 2**63  # one past the largest bigint
Json = dict[str, Any]


def raw_json(text: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Request arguments for a JSON body written by hand (NaN, \\u0000... as a client may)."""
    return {
        "content": text.encode(),
        "headers": {**(headers or {}), "content-type": "application/json"},
    }


def cursor_of(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def assert_problem(response: httpx.Response, *statuses: int) -> Json:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["title"] not in ("Error", "Internal server error"), body
    return body


def locs(body: Json) -> set[str]:
    return {e["loc"] for e in body.get("errors", [])}


# --- text the database cannot store ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "loc"),
    [
        pytest.param("GET", "/people", {"params": {"q": "a\x00"}}, "query.q", id="NUL in q"),
        pytest.param(
            "GET", "/people", {"params": {"party": "\x00"}}, "query.party", id="NUL in a filter"
        ),
        pytest.param("GET", "/people/%00", {}, "path", id="NUL in a path"),
        pytest.param(
            "POST",
            "/surveys",
            raw_json('{"name": "Door\\u0000script", "questions": []}'),
            "body.name",
            id="NUL in a JSON string",
        ),
        pytest.param(
            "POST",
            "/surveys",
            raw_json('{"name": "\\ud800", "questions": []}'),
            "body.name",
            id="a lone surrogate in a JSON string",
        ),
        pytest.param(
            "POST",
            "/turfs",
            raw_json('{"name": "T", "geometry": {"type": "Polygon", "\\u0000": 1}}'),
            "body.geometry.",
            id="NUL in a JSON key",
        ),
        pytest.param(
            "POST",
            "/walk_lists/1/codes",
            raw_json('{"expires_in_hours": 1, "x": "\\udfff"}'),
            "body.x",
            id="a lone low surrogate",
        ),
    ],
)
async def test_text_that_cannot_be_stored_is_422_naming_where(
    client: httpx.AsyncClient,
    camp: CampaignFixture,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    loc: str,
) -> None:
    headers = {**camp.organizer.headers, **kwargs.pop("headers", {})}
    response = await client.request(method, f"{API}{path}", headers=headers, **kwargs)
    body = assert_problem(response, 422)
    assert any(found.startswith(loc) for found in locs(body)), body


@pytest.mark.parametrize(
    ("path", "kwargs", "loc"),
    [
        pytest.param(
            "/auth/token",
            {"data": {"username": "admin@alpha.test\x00", "password": "x"}},
            "body.username",
            id="login with a NUL",
        ),
        pytest.param(
            "/auth/token",
            {"data": {"username": "a@b.test", "password": "pass\x00word"}},
            "body.password",
            id="a password with a NUL",
        ),
        pytest.param(
            "/auth/list_code",
            raw_json('{"code": "ABCD\\u0000EFGH", "name": "Sam"}'),
            "body.code",
            id="a list code with a NUL",
        ),
        pytest.param(
            "/auth/list_code",
            raw_json('{"code": "ABCDEFGH", "name": "Sam\\u0000"}'),
            "body.name",
            id="a guest name with a NUL",
        ),
        pytest.param(
            "/auth/list_code",
            raw_json('{"code": "ABCDEFGH", "name": "\\ud83d"}'),
            "body.name",
            id="a guest name with half an emoji",
        ),
    ],
)
async def test_unauthenticated_endpoints_refuse_it_too_without_a_traceback(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    kwargs: dict[str, Any],
    loc: str,
) -> None:
    response = await client.post(f"{API}{path}", **kwargs)
    assert loc in locs(assert_problem(response, 422))
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


async def test_a_nul_sent_in_a_multipart_form_is_a_4xx_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    """Multipart forms are not read ahead; the database's refusal is the last line (422)."""
    response = await client.post(
        f"{API}/auth/token",
        files={"username": (None, "a\x00@b.test"), "password": (None, "whatever-pass")},
    )
    assert_problem(response, 401, 422)


async def test_a_tag_with_a_nul_in_the_path(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld
) -> None:
    person = world.people["A1"]["id"]
    response = await client.put(
        f"{API}/people/{person}/tags/vol%00unteer", headers=camp.organizer.headers
    )
    assert "path" in locs(assert_problem(response, 422))


# --- numbers JSON does not have -------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_nan_and_infinity_in_custom_fields_are_422(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld, value: str
) -> None:
    person = world.people["A1"]["id"]
    response = await client.patch(
        f"{API}/people/{person}",
        **raw_json(f'{{"custom_fields": {{"score": {value}}}}}', camp.organizer.headers),
    )
    assert "body.custom_fields.score" in locs(assert_problem(response, 422))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999"])
async def test_nan_in_a_survey_effect_is_422(
    client: httpx.AsyncClient, camp: CampaignFixture, value: str
) -> None:
    survey = (
        '{"name": "S", "questions": [{"prompt": "Q", "kind": "single_choice", "options": '
        f'[{{"label": "A", "code": "A", "effects": {{"set": {{"custom:x": {value}}}}}}}]}}]}}'
    )
    response = await client.post(f"{API}/surveys", **raw_json(survey, camp.organizer.headers))
    body = assert_problem(response, 422)
    assert any("custom:x" in e["loc"] + e["message"] for e in body["errors"]), body


async def test_custom_fields_hold_scalars_only(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld
) -> None:
    person = world.people["A1"]["id"]
    deep = {"custom_fields": {"nested": {"a": [1, 2]}}}
    response = await client.patch(
        f"{API}/people/{person}", json=deep, headers=camp.organizer.headers
    )
    assert "body.custom_fields.nested" in locs(assert_problem(response, 422))
    fine = {"custom_fields": {"score": 3.5, "note": "ok", "flag": True}}
    response = await client.patch(
        f"{API}/people/{person}", json=fine, headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["custom_fields"] | fine["custom_fields"] == response.json()["custom_fields"]
    )


# --- ids beyond a bigint --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        pytest.param("GET", f"/people/{BIG}", {}, id="person path"),
        pytest.param("GET", f"/people/{BIG}/contacts", {}, id="contacts path"),
        pytest.param("PATCH", f"/people/{BIG}", {"json": {"party": "D"}}, id="patch path"),
        pytest.param("GET", f"/precincts/{BIG}", {}, id="precinct path"),
        pytest.param("GET", f"/turfs/{BIG}", {}, id="turf path"),
        pytest.param("DELETE", f"/turfs/{BIG}", {}, id="turf delete"),
        pytest.param("GET", f"/surveys/{BIG}", {}, id="survey path"),
        pytest.param("GET", f"/imports/{BIG}", {}, id="import path"),
        pytest.param("GET", f"/walk_lists/{BIG}", {}, id="walk list path"),
        pytest.param("GET", f"/walk_lists/{BIG}/progress", {}, id="progress path"),
        pytest.param("GET", f"/walk_lists/{BIG}/sheet.pdf", {}, id="sheet path"),
        pytest.param("DELETE", f"/walk_lists/1/assignments/{BIG}", {}, id="assignee path"),
        pytest.param("GET", "/people", {"params": {"precinct_id": BIG}}, id="query id"),
        pytest.param("GET", "/people", {"params": {"household_id": -1}}, id="negative query id"),
        pytest.param("GET", "/people/0", {}, id="zero"),
        pytest.param("GET", "/people", {"params": {"cursor": cursor_of(BIG)}}, id="cursor"),
        pytest.param("GET", "/turfs", {"params": {"cursor": cursor_of(BIG)}}, id="turf cursor"),
        pytest.param("POST", "/turfs", {"json": {"name": "T", "precinct_ids": [BIG]}}, id="body"),
        pytest.param(
            "POST", "/walk_lists", {"json": {"turf_id": BIG, "survey_id": 1}}, id="list body"
        ),
        pytest.param(
            "POST", "/walk_lists/1/assignments", {"json": {"user_ids": [BIG]}}, id="assign body"
        ),
        pytest.param(
            "POST",
            "/turfs/cut",
            {"json": {"area": {"turf_id": BIG}, "turf_count": 2}},
            id="cut body",
        ),
    ],
)
async def test_ids_beyond_a_bigint_are_4xx(
    client: httpx.AsyncClient, camp: CampaignFixture, method: str, path: str, kwargs: Json
) -> None:
    response = await client.request(
        method, f"{API}{path}", headers=camp.organizer.headers, **kwargs
    )
    assert_problem(response, 400, 404, 422)


# --- bodies: size, nesting ------------------------------------------------------------------


async def test_an_oversized_chunked_body_is_413(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    """No Content-Length: the limit trips while the body streams in."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(6):
            yield b"x" * (1 << 20)
        yield b'", "questions": []}'

    response = await client.post(
        f"{API}/surveys",
        content=chunks(),
        headers={**camp.organizer.headers, "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    body = assert_problem(response, 413)
    assert body["title"] == "Payload too large"


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
async def test_deeply_nested_json_is_a_4xx_with_a_title(
    client: httpx.AsyncClient, camp: CampaignFixture, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    response = await client.post(
        f"{API}/surveys",
        **raw_json(f'{{"name": "S", "questions": {nested}}}', camp.organizer.headers),
    )
    body = assert_problem(response, 400)
    assert body["title"] == "JSON nested too deeply"


async def test_brackets_inside_strings_are_not_nesting(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    name = '[[[[\\"{{{{' * 20
    survey = {
        "name": "S",
        "questions": [{"prompt": json.loads(f'"{name}"')[:400], "kind": "text"}],
    }
    response = await client.post(f"{API}/surveys", json=survey, headers=camp.organizer.headers)
    assert response.status_code == 201, response.text


# --- field lengths and ranges ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        pytest.param({"phone": "5" * 4_000_000}, "phone", id="a 4 MB phone"),
        pytest.param({"first_name": "A" * 201}, "first_name", id="a long first name"),
        pytest.param({"email": "a" * 321}, "email", id="a long email"),
        pytest.param({"birth_date": "0001-01-01"}, "birth_date", id="born in year 1"),
        pytest.param({"birth_date": "1899-12-31"}, "birth_date", id="born before 1900"),
        pytest.param({"birth_date": "2999-01-01"}, "birth_date", id="born in the future"),
        pytest.param({"birth_year": 3000}, "birth_year", id="a birth year in the future"),
        pytest.param({"tags": ["t"] * 101}, "tags", id="too many tags"),
    ],
)
async def test_a_patch_out_of_range_is_422(
    client: httpx.AsyncClient,
    camp: CampaignFixture,
    world: CampaignWorld,
    patch: Json,
    field: str,
) -> None:
    person = world.people["A1"]["id"]
    response = await client.patch(
        f"{API}/people/{person}", json=patch, headers=camp.organizer.headers
    )
    body = assert_problem(response, 413, 422)
    if response.status_code == 422:
        assert any(loc.startswith(f"body.{field}") for loc in locs(body)), body


async def test_a_plausible_patch_still_works(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld
) -> None:
    person = world.people["A1"]["id"]
    patch = {"phone": "+1 617 555 0100", "birth_date": "1931-02-03", "first_name": "Zed"}
    response = await client.patch(
        f"{API}/people/{person}", json=patch, headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["birth_year"] == 1931
