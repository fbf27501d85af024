"""Paper data entry: sheet codes into contacts and profiles; duplicates, replacements, mistakes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    create_list_code,
    list_code_headers,
    read_contacts,
    read_person,
    send_sync,
    sync_item,
)


async def enter(
    client: AsyncClient, headers: dict[str, str], list_id: int, entries: list, **extra: Any
) -> Response:
    """Enter lines of a paper sheet for a walk list."""
    return await client.post(
        f"{API}/walk_lists/{list_id}/paper_entries",
        json={"entries": entries, **extra},
        headers=headers,
    )


async def progress(client: AsyncClient, camp: CampaignFixture, list_id: int) -> dict:
    response = await client.get(
        f"{API}/walk_lists/{list_id}/progress", headers=camp.organizer.headers
    )
    return response.json()


@pytest.fixture
async def sheet(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> list[dict]:
    """One sheet entered by data entry: line 1 canvassed with every question answered, line 2
    not home, line 3 refused today. The entry results."""
    entries = [
        {
            "line": 1,
            "result": "C",
            "note": "Porch chat",
            "answers": {"1": "2", "2": "y", "3": ["H", "T"], "4": "Bike lanes", "5": "12"},
        },
        {"line": 2, "result": "nh"},
        {"line": 3, "result": "refused", "knocked_on": datetime.now(UTC).date().isoformat()},
    ]
    response = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], entries)
    assert response.status_code == 200, response.text
    results: list[dict] = response.json()["results"]
    return results


async def test_each_line_of_a_sheet_is_created(sheet: list[dict]) -> None:
    assert [(r["line"], r["status"]) for r in sheet] == [
        (1, "created"),
        (2, "created"),
        (3, "created"),
    ]


async def test_sheet_codes_change_the_profile(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, sheet: list[dict]
) -> None:
    profile = await read_person(client, camp, assigned.people_by_line()[1]["id"])
    assert profile["support_level"] == 2 and profile["is_volunteer"] is True
    assert profile["custom_fields"] == {"housing": True, "top_issue": "Bike lanes"}


async def test_a_paper_contact_says_who_entered_it_and_keeps_every_answer(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, sheet: list[dict]
) -> None:
    [contact] = await read_contacts(client, camp, assigned.people_by_line()[1]["id"])
    assert contact["source"] == "paper" and contact["entered_by"] == camp.data_entry.id
    assert contact["canvasser"] is None and contact["note"] == "Porch chat"
    assert contact["knocked_at"].startswith(assigned.walk_list["created_at"][:10])  # list's day
    by_question = {r["question_id"]: r for r in contact["responses"]}
    questions = assigned.survey["questions"]
    assert by_question[questions[4]["id"]]["number"] == 12
    assert len(by_question[questions[2]["id"]]["option_ids"]) == 2


async def test_a_paper_line_speaks_only_for_its_own_person(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, sheet: list[dict]
) -> None:
    """Lines 2 and 3 are not home and refused, yet nobody else at their doors gets a contact."""
    lines = assigned.people_by_line()
    for line in (2, 3):
        assert len(await read_contacts(client, camp, lines[line]["id"])) == 1


async def test_a_sheet_counts_in_the_lists_progress(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, sheet: list[dict]
) -> None:
    counted = await progress(client, camp, assigned.walk_list["id"])
    assert counted["results"] == {"canvassed": 1, "not_home": 1, "refused": 1}


@pytest.fixture
async def first_entry(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> int:
    """Line 1 entered as canvassed, strong yes, volunteers: the contact's id."""
    entry = [{"line": 1, "result": "C", "answers": {"1": "1", "2": "Y"}}]
    response = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], entry)
    contact_id: int = response.json()["results"][0]["contact_id"]
    return contact_id


async def test_a_line_entered_again_is_a_duplicate_and_changes_nothing(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, first_entry: int
) -> None:
    entry = [{"line": 1, "result": "C", "answers": {"1": "5"}}]
    again = await enter(client, camp.organizer.headers, assigned.walk_list["id"], entry)
    assert again.json()["results"][0] == {
        "line": 1,
        "status": "duplicate",
        "contact_id": first_entry,
        "errors": None,
    }
    profile = await read_person(client, camp, assigned.people_by_line()[1]["id"])
    assert profile["support_level"] == 1


@pytest.fixture
async def replaced(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, first_entry: int
) -> dict:
    """Line 1 entered again, as replacing the first entry (now lean no): its result."""
    entry = [{"line": 1, "result": "C", "answers": {"1": "4"}}]
    response = await enter(
        client, camp.data_entry.headers, assigned.walk_list["id"], entry, replace=True
    )
    [result] = response.json()["results"]
    return result


async def test_a_replacing_entry_supersedes_the_first(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    first_entry: int,
    replaced: dict,
) -> None:
    assert replaced["status"] == "replaced" and replaced["contact_id"] != first_entry
    old, new = await read_contacts(client, camp, assigned.people_by_line()[1]["id"])
    assert (old["id"], old["superseded_by"]) == (first_entry, replaced["contact_id"])
    assert new["superseded_by"] is None
    counted = await progress(client, camp, assigned.walk_list["id"])
    assert counted["results"] == {"canvassed": 1}


async def test_a_replacing_entry_wins_the_profile_but_leaves_what_it_does_not_say(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, replaced: dict
) -> None:
    """Same day as the entry it replaces: the later entry wins the tie."""
    profile = await read_person(client, camp, assigned.people_by_line()[1]["id"])
    assert profile["support_level"] == 4
    assert profile["is_volunteer"] is True


async def test_a_phone_result_is_its_own_history_before_or_after_paper(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, replaced: dict
) -> None:
    """Paper, paper replacing it, the phone, and paper replacing again: four contacts."""
    line_one = assigned.people_by_line()[1]
    stop = next(s for s in assigned.stops if s["people"][0]["line"] == 1)
    knock = sync_item(assigned.walk_list, stop, stop["people"][0], "not_home")
    synced = await send_sync(client, camp.canvasser.headers, [knock])
    assert synced.json()["results"][0]["status"] == "created"
    entries = [{"line": 2, "result": "C"}, {"line": 1, "result": "R", "replace": True}]
    response = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], entries)
    assert [r["status"] for r in response.json()["results"]] == ["created", "replaced"]
    assert len(await read_contacts(client, camp, line_one["id"])) == 4


def in_two_days() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    ("entry", "loc"),
    [
        pytest.param({"line": 999, "result": "C"}, "line", id="no such line"),
        pytest.param({"line": 1, "result": "NH"}, "line", id="a line twice in one request"),
        pytest.param({"line": 2, "result": "XX"}, "result", id="unknown result code"),
        pytest.param(
            {"line": 2, "result": "C", "answers": {"1": "Y"}},
            "answers.1",
            id="a code of another question",
        ),
        pytest.param(
            {"line": 2, "result": "C", "answers": {"9": "1"}}, "answers.9", id="no such question"
        ),
        pytest.param(
            {"line": 2, "result": "C", "answers": {"4": ["H"]}},
            "answers.4",
            id="codes for a text question",
        ),
        pytest.param(
            {"line": 2, "result": "C", "answers": {"5": "ten"}},
            "answers.5",
            id="words for a number question",
        ),
        pytest.param(
            {"line": 2, "result": "C", "answers": {"1": ["1", "2"]}},
            "answers.1",
            id="two codes for a single choice",
        ),
        pytest.param(
            {"line": 2, "result": "C", "knocked_on": "2026-13-01"}, "knocked_on", id="no such date"
        ),
        pytest.param(
            {"line": 2, "result": "C", "knocked_on": in_two_days()},
            "knocked_on",
            id="knocked in the future",
        ),
        pytest.param(
            {"line": 2, "result": "C", "knocked_on": "2020-01-01"},
            "knocked_on",
            id="knocked before the list was made",
        ),
        pytest.param("line 3: not home", "entry", id="not an object"),
        pytest.param({"line": 3, "result": "C", "colour": "blue"}, "colour", id="unknown field"),
    ],
)
async def test_a_mistyped_entry_is_rejected_alone(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    entry: Any,
    loc: str,
) -> None:
    good = {"line": 1, "result": "C", "answers": {"1": "3"}}
    response = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], [good, entry])
    assert response.status_code == 200, response.text
    good_result, bad_result = response.json()["results"]
    assert good_result["status"] == "created"
    assert bad_result["status"] == "rejected" and bad_result["contact_id"] is None
    assert bad_result["errors"][0]["loc"] == loc, bad_result
    assert bad_result["line"] == (entry["line"] if isinstance(entry, dict) else None)


async def test_a_rejection_says_what_was_wrong(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    entry = [{"line": 2, "result": "C", "answers": {"1": "Y"}}]
    response = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], entry)
    assert (
        "'Y' is not a code of question 1" in response.json()["results"][0]["errors"][0]["message"]
    )


async def test_more_than_1000_entries_is_413(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    too_many = [{"line": 1, "result": "C"}] * 1001
    big = await enter(client, camp.data_entry.headers, assigned.walk_list["id"], too_many)
    assert big.status_code == 413


async def test_paper_entry_roles_and_tenants(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    list_id = assigned.walk_list["id"]
    entry = [{"line": 1, "result": "C"}]
    assert (await enter(client, camp.canvasser.headers, list_id, entry)).status_code == 403
    guest = await list_code_headers(client, (await create_list_code(client, camp, list_id))["code"])
    assert (await enter(client, guest, list_id, entry)).status_code == 403
    assert (await enter(client, other.data_entry.headers, list_id, entry)).status_code == 404
    assert (await enter(client, camp.admin.headers, 999999, entry)).status_code == 404
    assert (await enter(client, camp.admin.headers, list_id, entry)).status_code == 200


async def test_entries_must_be_a_list(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    bad = await client.post(
        f"{API}/walk_lists/{assigned.walk_list['id']}/paper_entries",
        json={"entries": "no"},
        headers=camp.admin.headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.entries"
