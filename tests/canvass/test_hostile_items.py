"""One bad item never sinks a batch (issue 11, item 5): a phone's sync, a typed sheet and a
results CSV each reject the bad item alone, with the reason, and record the good ones. A
phone's offline queue must never be stuck behind a 500."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from httpx import AsyncClient, Response

from app.config import Settings
from app.services.access.auth import issue_token
from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    create_list_code,
    list_code_headers,
    read_contacts,
    run_import,
    sync_item,
)

BIG = 2**63
# Stands for a number in an item until the JSON text is written; then replaced by a literal
# that Python's json.dumps would never write (1e999) or that JSON does not have (NaN...).
PLACEHOLDER = 987654.125


def first_door(assigned: AssignedList, **extra: Any) -> dict[str, Any]:
    stop = assigned.stops[0]
    return sync_item(assigned.walk_list, stop, stop["people"][0], **extra)


def question_id(assigned: AssignedList, number: int) -> int:
    return int(assigned.survey["questions"][number - 1]["id"])


async def send_raw(client: AsyncClient, headers: dict[str, str], text: str) -> Response:
    return await client.post(
        f"{API}/sync",
        content=text.encode(),
        headers={**headers, "content-type": "application/json"},
    )


def batch_text(items: list[dict[str, Any]], number_literal: str | None = None) -> str:
    text = json.dumps({"results": items})
    return text.replace(str(PLACEHOLDER), number_literal) if number_literal else text


def answer(assigned: AssignedList, question: int, **fields: Any) -> dict[str, Any]:
    return first_door(
        assigned, responses=[{"question_id": question_id(assigned, question), **fields}]
    )


BAD_ITEMS: list[Any] = [
    pytest.param(lambda a: answer(a, 5, number=PLACEHOLDER), "NaN", "responses", id="NaN"),
    pytest.param(
        lambda a: answer(a, 5, number=PLACEHOLDER), "Infinity", "responses", id="Infinity"
    ),
    pytest.param(
        lambda a: answer(a, 5, number=PLACEHOLDER), "-Infinity", "responses", id="-Infinity"
    ),
    pytest.param(lambda a: answer(a, 5, number=PLACEHOLDER), "1e999", "responses", id="1e999"),
    pytest.param(lambda a: first_door(a, note="porch\x00chat"), None, "note", id="NUL in a note"),
    pytest.param(lambda a: first_door(a, note="\ud800"), None, "note", id="a lone surrogate"),
    pytest.param(
        lambda a: answer(a, 4, text="bike\x00lanes"), None, "responses", id="NUL in a text answer"
    ),
    pytest.param(lambda a: first_door(a, walk_list_id=BIG), None, "walk_list_id", id="list 2^63"),
    pytest.param(lambda a: first_door(a, walk_list_id=0), None, "walk_list_id", id="list 0"),
    pytest.param(lambda a: first_door(a, household_id=BIG), None, "household_id", id="door 2^63"),
    pytest.param(lambda a: first_door(a, person_id=-1), None, "person_id", id="person -1"),
    pytest.param(lambda a: first_door(a, person_id=BIG), None, "person_id", id="person 2^63"),
    pytest.param(
        lambda a: first_door(a, responses=[{"question_id": BIG, "text": "x"}]),
        None,
        "responses",
        id="question 2^63",
    ),
    pytest.param(
        lambda a: answer(a, 1, option_ids=[BIG]), None, "responses", id="an option id 2^63"
    ),
    pytest.param(lambda a: answer(a, 1, option_ids=[0]), None, "responses", id="an option id 0"),
    pytest.param(
        lambda a: first_door(a, knocked_at="0001-01-01T00:00:00+00:00"),
        None,
        "knocked_at",
        id="knocked in year 1",
    ),
    pytest.param(
        lambda a: first_door(a, knocked_at=(datetime.now(UTC) - timedelta(days=30)).isoformat()),
        None,
        "knocked_at",
        id="knocked long before the list",
    ),
    pytest.param(
        lambda a: first_door(a, location={"lon": PLACEHOLDER, "lat": 42.37}),
        "NaN",
        "location",
        id="a NaN location",
    ),
    pytest.param(
        lambda a: first_door(a, client_id="not\x00a-uuid"), None, "client_id", id="a bad client_id"
    ),
]


@pytest.mark.parametrize(("bad_item", "literal", "loc"), BAD_ITEMS)
async def test_a_bad_sync_item_is_rejected_alone(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    bad_item: Any,
    literal: str | None,
    loc: str,
) -> None:
    good = first_door(assigned)
    text = batch_text([good, bad_item(assigned)], literal)
    response = await send_raw(client, camp.canvasser.headers, text)
    assert response.status_code == 200, response.text
    created, rejected = response.json()["results"]
    assert created["status"] == "created"
    assert rejected["status"] == "rejected"
    assert any(e["loc"].startswith(loc) for e in rejected["errors"]), rejected
    assert "\x00" not in json.dumps(rejected)


async def test_a_number_answer_that_is_finite_is_taken(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    text = batch_text([answer(assigned, 5, number=PLACEHOLDER)], "12.5")
    response = await send_raw(client, camp.canvasser.headers, text)
    assert response.json()["results"][0]["status"] == "created", response.text


async def test_a_guest_whose_token_name_holds_a_nul_still_syncs(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, settings: Settings
) -> None:
    """A token issued before names were checked, with a NUL in the guest's name: every sync
    of theirs must still work (the name is recorded without it)."""
    code = await create_list_code(client, camp, assigned.walk_list["id"])
    headers = await list_code_headers(client, code["code"], name="Sam")
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims = {k: v for k, v in claims.items() if k not in ("iat", "exp")}
    forged = issue_token(settings, {**claims, "name": "Sam\x00Guest"}).access_token
    item = first_door(assigned)
    response = await send_raw(client, {"Authorization": f"Bearer {forged}"}, batch_text([item]))
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "created"
    [contact] = await read_contacts(client, camp, assigned.stops[0]["people"][0]["id"])
    assert contact["canvasser"]["name"] == "SamGuest"


# --- paper entries --------------------------------------------------------------------------


async def test_bad_paper_entries_are_rejected_alone(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    entries: list[dict[str, Any]] = [
        {"line": 1, "result": "C", "answers": {"5": "12"}},
        {"line": 2, "result": "C", "answers": {"5": "nan"}},
        {"line": 3, "result": "C", "answers": {"5": "inf"}},
        {"line": 4, "result": "C", "note": "porch\x00chat"},
        {"line": 5, "result": "C", "answers": {"4": "bike\x00lanes"}},
        {"line": BIG, "result": "C"},
        {"line": 6, "result": "N\x00H"},
        {"line": 7, "result": "C", "answers": {"5\x00": "1"}},
        {"line": 8, "result": "C", "answers": {"5": PLACEHOLDER}},
    ]
    text = json.dumps({"entries": entries}).replace(str(PLACEHOLDER), "NaN")
    response = await client.post(
        f"{API}/walk_lists/{assigned.walk_list['id']}/paper_entries",
        content=text.encode(),
        headers={**camp.data_entry.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["created"] + ["rejected"] * 8, response.text


# --- results CSV ----------------------------------------------------------------------------


async def test_bad_rows_of_a_results_csv_are_rejected_by_line(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    number = assigned.walk_list["number"]
    sheet = (
        "list_number,line,result,q5,note,date\n"
        f"{number},1,C,12,fine,\n"
        f"{number},2,C,nan,,\n"
        f"{number},3,C,,porch\x00chat,\n"
        f"{number},99999999999999999999999,C,,,\n"
        f"{number}\x00,4,C,,,\n"
        f"{number},5,C,1e999,,\n"
    )
    job = await run_import(
        client, camp.data_entry.headers, "canvass_results", sheet.encode(), "sheet.csv"
    )
    assert job["status"] == "succeeded", job
    assert (job["created"], job["rejected"]) == (1, 5), job
    assert sorted({e["line"] for e in job["errors"]}) == [3, 4, 5, 6, 7], job
