"""Access on request: an admin exports everything held about one person, and the export is
logged; nobody else can, and another campaign's person is not found."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Role
from tests.builders import API, CampaignFixture, Json
from tests.privacy.world import Knocked, audit_rows, erase


async def export(client: AsyncClient, camp: CampaignFixture, person_id: int) -> Json:
    response = await client.get(f"{API}/people/{person_id}/export", headers=camp.admin.headers)
    assert response.status_code == 200, response.text
    document: Json = response.json()
    return document


@pytest.mark.parametrize("role", [Role.organizer, Role.canvasser, Role.data_entry])
async def test_only_admins_export(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked, role: Role
) -> None:
    url = f"{API}/people/{canvassed.bea['id']}/export"
    assert (await client.get(url, headers=camp.member(role).headers)).status_code == 403


async def test_another_campaigns_person_is_not_found(
    client: AsyncClient,
    connection: AsyncConnection,
    camp: CampaignFixture,
    other: CampaignFixture,
    canvassed: Knocked,
) -> None:
    url = f"{API}/people/{canvassed.bea['id']}/export"
    assert (await client.get(url, headers=other.admin.headers)).status_code == 404
    assert (
        await client.get(f"{API}/people/{2**63}/export", headers=camp.admin.headers)
    ).status_code == 422
    assert await audit_rows(connection, other.id) == []


async def test_the_export_holds_her_profile_door_fields_and_tags(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    document = await export(client, camp, canvassed.bea["id"])
    profile = document["profile"]
    assert (profile["first_name"], profile["middle_name"], profile["last_name"]) == (
        "Bea",
        "Beatrix",
        "Bell",
    )
    assert (profile["phone"], profile["email"], profile["birth_date"]) == (
        "617-555-0100",
        "bea@bell.test",
        "1980-05-17",
    )
    assert profile["external_id"] == "B1" and profile["support_level"] == 2
    assert profile["custom_fields"] == {
        "shoe": "size 9",
        "housing": True,
        "top_issue": "Bea Bell wants bike lanes",
    }
    assert sorted(profile["tags"]) == ["bell-ringer", "volunteer-lead"]
    assert (profile["household"]["house_number"], profile["household"]["street"]) == ("2", "Oak St")
    assert profile["household"]["lon"] is not None
    assert document["campaign"] == "Campaign alpha" and document["erased"] is False
    assert document["created_at"] and document["exported_at"]


async def test_the_export_holds_every_contact_with_its_answers_in_words(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    contacts = (await export(client, camp, canvassed.bea["id"]))["contacts"]
    assert [c["result"] for c in contacts] == ["not_home", "canvassed"]
    knock = contacts[1]
    assert (knock["note"], knock["lon"], knock["spoke_for_others"]) == (
        "Bea Bell: call back on 617-555-0100",
        -71.095,
        False,
    )
    answers = {a["prompt"]: a for a in knock["answers"]}
    assert answers["Will you support Jane?"]["options"] == ["2 - Lean yes"]
    assert answers["Issues?"]["options"] == ["Housing", "Transit"]
    assert answers["Top issue in your words"]["text"] == "Bea Bell wants bike lanes"
    assert answers["Years at this address"]["number"] == 12


async def test_a_door_knock_for_several_says_so(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    contacts = (await export(client, camp, canvassed.zed["id"]))["contacts"]
    assert [(c["result"], c["spoke_for_others"]) for c in contacts] == [
        ("canvassed", True),
        ("refused", False),
    ]


async def test_the_export_holds_field_sources_list_lines_and_who_saw_her(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    bea = canvassed.bea["id"]
    document = await export(client, camp, bea)
    sources = {s["field"]: s["value"] for s in document["field_sources"]}
    assert sources == {
        "support_level": 2,
        "is_volunteer": True,
        "tag:volunteer-lead": True,
        "custom:housing": True,
        "custom:top_issue": "Bea Bell wants bike lanes",
    }
    [line] = document["walk_lists"]
    assert line["walk_list_id"] == canvassed.walk_list["id"]
    assert line["line"] == canvassed.assigned.door_of("Bea")[1]["line"]
    actions = [e["action"] for e in document["audit"]]
    # the world's people search, the canvasser's pull and sync of her list, staff's edits
    assert actions == [
        "person.search",
        "walk_list.pull",
        "sync.batch",
        "person.update",
        "person.tag_add",
    ]


async def test_the_export_is_logged_once_gathered(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    document = await export(client, camp, canvassed.bea["id"])
    [entry] = await audit_rows(connection, camp.id, action="person.export")
    assert (entry.actor_user_id, entry.object_ids) == (camp.admin.id, [canvassed.bea["id"]])
    assert entry.detail == {"contacts": 2, "walk_lists": 1, "audit_entries": len(document["audit"])}
    again = await export(client, camp, canvassed.bea["id"])
    assert again["audit"][-1]["action"] == "person.export"


async def test_after_erasure_the_export_holds_nothing_personal(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    await erase(client, camp, canvassed.bea["id"])
    document = await export(client, camp, canvassed.bea["id"])
    assert document["erased"] is True
    assert (document["profile"]["last_name"], document["field_sources"]) == ("", [])
    assert [c["note"] for c in document["contacts"]] == [None, None]
    assert "Bell" not in str(document) and "617-555" not in str(document)
