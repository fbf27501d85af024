"""Paper data entry: sheet codes into contacts and profiles; duplicates, replacements, mistakes."""

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient

from tests.canvass.test_phone_sync import item, person, ready
from tests.conftest import CampaignFixture
from tests.helpers import API
from tests.walk_lists.test_list_codes import guest, new_code


def lines_of(payload: dict) -> dict[int, dict]:
    return {p["line"]: p for s in payload["stops"] for p in s["people"]}


async def enter(client: AsyncClient, headers: dict, list_id: int, entries: list, **extra: object):  # type: ignore[no-untyped-def]
    return await client.post(f"{API}/walk_lists/{list_id}/paper_entries",
                             json={"entries": entries, **extra}, headers=headers)  # fmt: skip


async def history(client: AsyncClient, camp: CampaignFixture, person_id: int) -> list[dict]:
    response = await client.get(
        f"{API}/people/{person_id}/contacts", headers=camp.organizer.headers
    )
    return response.json()["results"]


async def test_sheet_codes_become_contacts_and_profiles(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    world, walk_list, payload = await ready(client, camp)
    lines = lines_of(payload)
    entries = [
        {"line": 1, "result": "C", "note": "Porch chat",
         "answers": {"1": "2", "2": "y", "3": ["H", "T"], "4": "Bike lanes", "5": "12"}},
        {"line": 2, "result": "nh"},
        {"line": 3, "result": "refused", "knocked_on": datetime.now(UTC).date().isoformat()},
    ]  # fmt: skip
    response = await enter(client, camp.data_entry.headers, walk_list["id"], entries)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["line"], r["status"]) for r in results] == [(1, "created"), (2, "created"),
                                                           (3, "created")]  # fmt: skip

    profile = await person(client, camp, lines[1]["id"])
    assert profile["support_level"] == 2 and profile["is_volunteer"] is True
    assert profile["custom_fields"] == {"housing": True, "top_issue": "Bike lanes"}
    [contact] = await history(client, camp, lines[1]["id"])
    assert contact["source"] == "paper" and contact["entered_by"] == camp.data_entry.id
    assert contact["canvasser"] is None and contact["note"] == "Porch chat"
    assert contact["knocked_at"].startswith(walk_list["created_at"][:10])  # the list's day
    numbers = {r["question_id"]: r for r in contact["responses"]}
    survey = world["survey"]["questions"]
    assert numbers[survey[4]["id"]]["number"] == 12
    assert len(numbers[survey[2]["id"]]["option_ids"]) == 2
    # Only the line's person: a paper line never speaks for the rest of the door.
    for line in (2, 3):
        assert len(await history(client, camp, lines[line]["id"])) == 1

    progress = (await client.get(f"{API}/walk_lists/{walk_list['id']}/progress",
                                 headers=camp.organizer.headers)).json()  # fmt: skip
    assert progress["results"] == {"canvassed": 1, "not_home": 1, "refused": 1}


async def test_duplicates_replacements_and_phone_results(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    _, walk_list, payload = await ready(client, camp)
    lines = lines_of(payload)
    first = await enter(client, camp.data_entry.headers, walk_list["id"],
                        [{"line": 1, "result": "C", "answers": {"1": "1", "2": "Y"}}])  # fmt: skip
    original = first.json()["results"][0]["contact_id"]
    again = await enter(client, camp.organizer.headers, walk_list["id"],
                        [{"line": 1, "result": "C", "answers": {"1": "5"}}])  # fmt: skip
    assert again.json()["results"][0] == {"line": 1, "status": "duplicate",
                                          "contact_id": original, "errors": None}  # fmt: skip
    assert (await person(client, camp, lines[1]["id"]))["support_level"] == 1

    replaced = await enter(client, camp.data_entry.headers, walk_list["id"],
                           [{"line": 1, "result": "C", "answers": {"1": "4"}}],
                           replace=True)  # fmt: skip
    [result] = replaced.json()["results"]
    assert result["status"] == "replaced" and result["contact_id"] != original
    # Same day as the entry it replaces: the later entry wins the tie.
    profile = await person(client, camp, lines[1]["id"])
    assert profile["support_level"] == 4
    assert profile["is_volunteer"] is True  # what the new entry does not say stays
    old, new = await history(client, camp, lines[1]["id"])
    assert (old["id"], old["superseded_by"]) == (original, result["contact_id"])
    assert new["superseded_by"] is None
    progress = (await client.get(f"{API}/walk_lists/{walk_list['id']}/progress",
                                 headers=camp.organizer.headers)).json()  # fmt: skip
    assert progress["results"] == {"canvassed": 1}

    # A phone result for the same person is its own history entry, before or after paper.
    stop = next(s for s in payload["stops"] if s["people"][0]["line"] == 1)
    knock = item(walk_list, stop, stop["people"][0], "not_home")
    synced = await client.post(
        f"{API}/sync", json={"results": [knock]}, headers=camp.canvasser.headers
    )
    assert synced.json()["results"][0]["status"] == "created"
    entries = [{"line": 2, "result": "C"}, {"line": 1, "result": "R", "replace": True}]
    line_two = await enter(client, camp.data_entry.headers, walk_list["id"], entries)
    assert [r["status"] for r in line_two.json()["results"]] == ["created", "replaced"]
    assert len(await history(client, camp, lines[1]["id"])) == 4


async def test_mistyped_entries_are_rejected_alone(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    entries = [
        {"line": 1, "result": "C", "answers": {"1": "3"}},
        {"line": 999, "result": "C"},
        {"line": 2, "result": "XX"},
        {"line": 2, "result": "C", "answers": {"1": "Y"}},  # a code of question 2
        {"line": 2, "result": "C", "answers": {"9": "1"}},
        {"line": 2, "result": "C", "knocked_on": "2026-13-01"},
        {"line": 2, "result": "C", "knocked_on": tomorrow},
        {"line": 2, "result": "C", "knocked_on": "2020-01-01"},
        {"line": 2, "result": "C", "answers": {"4": ["H"]}},  # a text question
        {"line": 2, "result": "C", "answers": {"5": "ten"}},
        {"line": 2, "result": "C", "answers": {"1": ["1", "2"]}},  # single choice
        {"line": 1, "result": "NH"},  # line 1 twice in one request
        "line 3: not home",
        {"line": 3, "result": "C", "colour": "blue"},
    ]
    response = await enter(client, camp.data_entry.headers, walk_list["id"], entries)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(entries) and results[0]["status"] == "created"
    assert all(r["status"] == "rejected" and r["errors"] for r in results[1:])
    locs = [r["errors"][0]["loc"] for r in results[1:]]
    assert locs == ["line", "result", "answers.1", "answers.9", "knocked_on", "knocked_on",
                    "knocked_on", "answers.4", "answers.5", "answers.1", "line", "entry",
                    "colour"]  # fmt: skip
    assert "'Y' is not a code of question 1" in results[3]["errors"][0]["message"]
    assert results[12]["line"] is None and results[13]["line"] == 3

    too_many = [{"line": 1, "result": "C"}] * 1001
    big = await enter(client, camp.data_entry.headers, walk_list["id"], too_many)
    assert big.status_code == 413


async def test_paper_entry_roles_and_tenants(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)
    entry = [{"line": 1, "result": "C"}]
    assert (await enter(client, camp.canvasser.headers, walk_list["id"], entry)).status_code == 403
    code = (await new_code(client, camp, walk_list["id"]))["code"]
    headers = await guest(client, code)
    assert (await enter(client, headers, walk_list["id"], entry)).status_code == 403
    assert (
        await enter(client, other.data_entry.headers, walk_list["id"], entry)
    ).status_code == 404
    assert (await enter(client, camp.admin.headers, 999999, entry)).status_code == 404
    assert (await enter(client, camp.admin.headers, walk_list["id"], entry)).status_code == 200
    bad = await client.post(f"{API}/walk_lists/{walk_list['id']}/paper_entries",
                            json={"entries": "no"}, headers=camp.admin.headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.entries"
