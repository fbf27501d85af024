"""Erasure on request: nothing personal stays anywhere, every count and progress figure stays
the same, the person never comes back (not by a late phone, a hand edit or a re-import)."""

import hashlib
import re
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Role
from app.services.privacy.erasure import name_pattern
from tests.builders import (
    API,
    CampaignFixture,
    create_list_code,
    list_code_headers,
    resident,
    send_sync,
    sql,
    sync_item,
    upload_voters,
    voter_csv,
)
from tests.privacy.world import BEA_SECRETS, Knocked, audit_rows, erase, text_rows_matching

HISTORY_TABLES = ("contact", "contact_target", "contact_response", "walk_list_target")


def words(*secrets: str) -> str:
    """A case-insensitive pattern of the secrets as whole words."""
    return r"\m(" + "|".join(re.escape(s) for s in secrets) + r")\M"


async def figures(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, k: Knocked
) -> dict[str, Any]:
    """Everything that counts: the list's progress and summary, and the history's rows."""
    list_id = k.walk_list["id"]
    progress = await client.get(
        f"{API}/walk_lists/{list_id}/progress", headers=camp.organizer.headers
    )
    lists = await client.get(f"{API}/walk_lists", headers=camp.organizer.headers)
    rows = {
        table: (
            await sql(connection, f"SELECT count(*) FROM {table} WHERE campaign_id = :c", c=camp.id)
        )[0][0]
        for table in HISTORY_TABLES
    }
    return {"progress": progress.json(), "lists": lists.json(), "rows": rows}


# Who may erase


@pytest.mark.parametrize("role", [Role.organizer, Role.canvasser, Role.data_entry])
async def test_only_admins_erase(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked, role: Role
) -> None:
    url = f"{API}/people/{canvassed.bea['id']}"
    response = await client.delete(url, headers=camp.member(role).headers)
    assert response.status_code == 403
    assert (await client.get(url, headers=camp.admin.headers)).json()["last_name"] == "Bell"


async def test_a_list_code_guest_cannot_erase(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    code = await create_list_code(client, camp, canvassed.walk_list["id"])
    guest = await list_code_headers(client, code["code"])
    response = await client.delete(f"{API}/people/{canvassed.bea['id']}", headers=guest)
    assert response.status_code == 403


async def test_another_campaigns_person_is_not_found(
    client: AsyncClient,
    connection: AsyncConnection,
    camp: CampaignFixture,
    other: CampaignFixture,
    canvassed: Knocked,
) -> None:
    bea = canvassed.bea["id"]
    theirs = await client.delete(f"{API}/people/{bea}", headers=other.admin.headers)
    missing = await client.delete(f"{API}/people/999999999", headers=camp.admin.headers)
    huge = await client.delete(f"{API}/people/{2**63}", headers=camp.admin.headers)
    assert (theirs.status_code, missing.status_code, huge.status_code) == (404, 404, 422)
    assert (await client.get(f"{API}/people/{bea}", headers=camp.admin.headers)).json()[
        "phone"
    ] == "617-555-0100"
    assert await audit_rows(connection, other.id) == []


# Bea, alone at her door


async def test_erasing_bea_says_what_it_did(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    receipt = await erase(client, camp, canvassed.bea["id"])
    assert receipt == {
        "person_id": canvassed.bea["id"],
        "already_erased": False,
        "contacts_kept": 2,  # nobody home at her door, then canvassed
        "contacts_cleared": 2,
        "contacts_redacted": 0,
        "profiles_redacted": 0,
        # support, volunteer, the volunteer-lead tag, housing, top issue in her words
        "field_sources_deleted": 5,
        "household_erased": True,
    }


async def test_nothing_bea_said_or_was_stays_anywhere(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    pattern = words(*BEA_SECRETS, "bike lanes", "bell-ringer")
    assert await text_rows_matching(connection, camp.id, pattern)  # the search finds them
    await erase(client, camp, canvassed.bea["id"])
    assert await text_rows_matching(connection, camp.id, pattern) == []


async def test_bea_is_a_blank_do_not_contact_row(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    bea = canvassed.bea["id"]
    await erase(client, camp, bea)
    profile = (await client.get(f"{API}/people/{bea}", headers=camp.admin.headers)).json()
    blank = {"first_name": "", "last_name": "", "external_id": f"erased:{bea}"}
    assert {k: profile[k] for k in blank} == blank
    personal = ("middle_name", "birth_date", "birth_year", "age", "sex", "party", "phone")
    assert [profile[k] for k in personal] == [None] * len(personal)
    assert profile["email"] is None and profile["support_level"] is None
    assert (profile["tags"], profile["custom_fields"], profile["do_not_contact"]) == ([], {}, True)
    door = profile["household"]
    assert (door["house_number"], door["street"], door["lon"], door["lat"]) == ("", "", None, None)
    [[n, lon, lat]] = await sql(
        connection,
        "SELECT count(*), max(lon), max(lat) FROM contact c JOIN contact_target t"
        " ON t.campaign_id = c.campaign_id AND t.contact_id = c.id"
        " WHERE c.campaign_id = :c AND t.person_id = :p",
        c=camp.id,
        p=bea,
    )
    assert (n, lon, lat) == (2, None, None)


async def test_counts_and_progress_stay_the_same(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    before = await figures(client, connection, camp, canvassed)
    for person in (canvassed.bea, canvassed.zed, canvassed.amy):
        await erase(client, camp, person["id"])
    assert await figures(client, connection, camp, canvassed) == before
    assert before["progress"]["people_contacted"] == 4  # Bea, Zed, Amy, Dot


async def test_she_leaves_searches_and_lists_but_stays_readable_by_id(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    bea = canvassed.bea["id"]
    await erase(client, camp, bea)
    people = await client.get(f"{API}/people", params={"limit": 100}, headers=camp.admin.headers)
    assert bea not in [p["id"] for p in people.json()["results"]]
    url = f"{API}/walk_lists/{canvassed.walk_list['id']}"
    payload = (await client.get(url, headers=camp.canvasser.headers)).json()
    assert bea not in [p["id"] for s in payload["stops"] for p in s["people"]]
    assert (await client.get(f"{API}/people/{bea}", headers=camp.admin.headers)).status_code == 200


async def test_erasing_again_does_nothing(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    await erase(client, camp, canvassed.bea["id"])
    again = await erase(client, camp, canvassed.bea["id"])
    assert again["already_erased"] is True and again["contacts_kept"] == 0
    assert len(await audit_rows(connection, camp.id, action="person.erase")) == 1


async def test_the_erasure_is_logged_without_her_data(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    receipt = await erase(client, camp, canvassed.bea["id"])
    [entry] = await audit_rows(connection, camp.id, action="person.erase")
    assert (entry.actor_user_id, entry.object_type, entry.object_ids) == (
        camp.admin.id,
        "person",
        [canvassed.bea["id"]],
    )
    assert entry.detail == {
        k: v for k, v in receipt.items() if k not in ("person_id", "already_erased")
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("PATCH", "", {"first_name": "Bea"}, id="patch"),
        pytest.param("PUT", "/tags/again", None, id="tag"),
    ],
)
async def test_staff_cannot_write_into_an_erased_person(
    client: AsyncClient,
    camp: CampaignFixture,
    canvassed: Knocked,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    url = f"{API}/people/{canvassed.bea['id']}"
    await erase(client, camp, canvassed.bea["id"])
    response = await client.request(method, url + path, json=body, headers=camp.admin.headers)
    assert response.status_code == 409, response.text
    profile = (await client.get(url, headers=camp.admin.headers)).json()
    assert (profile["first_name"], profile["tags"]) == ("", [])


async def test_a_phone_syncing_late_does_not_refill_her_profile(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    """A phone still holding the list from before the erasure syncs a knock at Bea's."""
    bea_door, bea = canvassed.assigned.door_of("Bea")
    q1 = canvassed.assigned.survey["questions"][0]
    late = sync_item(
        canvassed.walk_list,
        bea_door,
        bea,
        responses=[{"question_id": q1["id"], "option_ids": [q1["options"][0]["id"]]}],
    )
    door_wide = sync_item(canvassed.walk_list, bea_door, None, "not_home")
    await erase(client, camp, bea["id"])
    synced = await send_sync(client, camp.canvasser.headers, [late, door_wide])
    assert synced.status_code == 200
    refused, kept = synced.json()["results"]
    assert refused["status"] == "rejected"
    assert refused["errors"][0]["loc"] == "person_id"
    assert "erased" in refused["errors"][0]["message"]
    assert kept["status"] == "created"  # the door itself can still be knocked
    profile = (await client.get(f"{API}/people/{bea['id']}", headers=camp.admin.headers)).json()
    assert (profile["support_level"], profile["last_contacted_at"]) == (None, None)


async def test_a_paper_sheet_typed_late_cannot_record_her_line(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    """The printed sheet still has Bea's line; typing it after the erasure is refused, and
    the other lines of the batch are kept."""
    lines = {p["first_name"]: line for line, p in canvassed.assigned.people_by_line().items()}
    await erase(client, camp, canvassed.bea["id"])
    entered = await client.post(
        f"{API}/walk_lists/{canvassed.walk_list['id']}/paper_entries",
        json={
            "entries": [
                {"line": lines["Bea"], "result": "C", "note": "Bea Bell said yes"},
                {"line": lines["Dot"], "result": "NH"},
            ]
        },
        headers=camp.data_entry.headers,
    )
    assert entered.status_code == 200, entered.text
    bea_line, dot_line = entered.json()["results"]
    assert bea_line["status"] == "rejected"
    assert bea_line["errors"] == [{"loc": "line", "message": bea_line["errors"][0]["message"]}]
    assert "erased" in bea_line["errors"][0]["message"]
    assert dot_line["status"] == "created"


async def test_a_new_import_of_the_voter_file_does_not_bring_her_back(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    await erase(client, camp, canvassed.bea["id"])
    [[key]] = await sql(
        connection, "SELECT voter_key FROM erased_voter WHERE campaign_id = :c", c=camp.id
    )
    assert bytes(key) == hashlib.sha256(b"B1").digest()
    rows = [resident("B1", "Bea Bell", "2 Oak St"), resident("N1", "Ned New", "2 Oak St")]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    assert job["status"] == "succeeded", job
    found = await client.get(f"{API}/people", params={"q": "b"}, headers=camp.admin.headers)
    assert [p["last_name"] for p in found.json()["results"]] == []
    assert await text_rows_matching(connection, camp.id, words("Bell", "B1")) == []
    ned = await client.get(f"{API}/people", params={"q": "ned"}, headers=camp.admin.headers)
    assert [p["external_id"] for p in ned.json()["results"]] == ["N1"]


# Zed and Amy, who share a door


async def test_a_door_knock_for_two_is_kept_with_zeds_names_redacted(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    receipt = await erase(client, camp, canvassed.zed["id"])
    assert {k: receipt[k] for k in receipt if k.startswith(("contacts", "profiles"))} == {
        "contacts_kept": 2,  # the door knock for both, and his refusal
        "contacts_cleared": 1,
        "contacts_redacted": 1,
        "profiles_redacted": 1,  # Amy's top issue came from the door knock
    }
    assert receipt["household_erased"] is False
    [[note, answer]] = await sql(
        connection,
        "SELECT c.note, r.text FROM contact c JOIN contact_response r"
        " ON r.campaign_id = c.campaign_id AND r.contact_id = c.id"
        " WHERE c.campaign_id = :c AND c.person_id IS NULL AND c.note LIKE '%friendly'",
        c=camp.id,
    )
    assert (note, answer) == (
        "[erased] [erased] and Amy were friendly",
        "[erased] [erased] likes parks",
    )
    amy = (
        await client.get(f"{API}/people/{canvassed.amy['id']}", headers=camp.admin.headers)
    ).json()
    assert amy["custom_fields"]["top_issue"] == "[erased] [erased] likes parks"
    assert amy["household"]["street"] == "Oak St"  # her door keeps its address
    assert await text_rows_matching(connection, camp.id, words("Zed")) == []


async def test_when_amy_goes_too_the_door_knock_and_the_door_are_cleared(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    await erase(client, camp, canvassed.zed["id"])
    receipt = await erase(client, camp, canvassed.amy["id"])
    assert (receipt["contacts_cleared"], receipt["household_erased"]) == (1, True)
    assert await text_rows_matching(connection, camp.id, words("Zed", "Amy", "Able", "parks")) == []


def test_a_name_pattern_matches_whole_words_of_the_names_only() -> None:
    assert name_pattern("Mary-Jo", None, "O'Neil (Jr.)") == r"\m(Mary|Neil|Jo|Jr)\M"
    assert name_pattern("J", " ", None) is None


async def test_names_are_redacted_in_any_script_and_case(connection: AsyncConnection) -> None:
    pattern = name_pattern("Élodie", None, "Ñúñez-Øst")
    [[redacted]] = await sql(
        connection,
        "SELECT regexp_replace(:note, :pattern, '[erased]', 'gi')",
        note="ÉLODIE ñúñez said Øst, not Östberg",
        pattern=pattern,
    )
    assert redacted == "[erased] [erased] said [erased], not Östberg"
