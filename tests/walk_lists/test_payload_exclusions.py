"""A list already built follows its people: whoever has since died, moved, asked not to be
contacted, or whose door turned out a wrong address, drops out of the phone payload and the
sheet at the next pull, and the list's ETag changes so phones fetch it again."""

import pytest
from httpx import AsyncClient

from tests.builders import API, AssignedList, CampaignFixture, send_sync, sync_item


async def pull(client: AsyncClient, camp: CampaignFixture, list_id: int) -> tuple[dict, str]:
    response = await client.get(f"{API}/walk_lists/{list_id}", headers=camp.canvasser.headers)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def first_names(payload: dict) -> set[str]:
    return {p["first_name"] for s in payload["stops"] for p in s["people"]}


@pytest.mark.parametrize(
    "patch", [{"do_not_contact": True}, {"moved": True}, {"deceased": True}], ids=str
)
async def test_a_person_marked_by_hand_drops_out_at_the_next_pull(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, patch: dict
) -> None:
    list_id = assigned.walk_list["id"]
    before, etag = await pull(client, camp, list_id)
    bea_door, bea = assigned.door_of("Bea")  # she lives alone
    response = await client.patch(
        f"{API}/people/{bea['id']}", json=patch, headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text

    after, new_etag = await pull(client, camp, list_id)
    assert first_names(before) - first_names(after) == {"Bea"}
    assert new_etag != etag
    assert bea_door["household_id"] not in {s["household_id"] for s in after["stops"]}, (
        "a door with nobody left to knock for is no stop"
    )
    stale = await client.get(
        f"{API}/walk_lists/{list_id}",
        headers=camp.canvasser.headers | {"If-None-Match": etag},
    )
    assert stale.status_code == 200


async def test_a_synced_do_not_contact_drops_the_person_and_keeps_the_others_lines(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    list_id = assigned.walk_list["id"]
    stop, zed = assigned.door_of("Zed")
    item = sync_item(assigned.walk_list, stop, zed, "do_not_contact")
    synced = await send_sync(client, camp.canvasser.headers, [item])
    assert synced.json()["results"][0]["status"] == "created"

    after, _ = await pull(client, camp, list_id)
    assert "Zed" not in first_names(after)
    lines = {p["first_name"]: p["line"] for s in after["stops"] for p in s["people"]}
    assert lines["Amy"] == assigned.door_of("Amy")[1]["line"], "lines keep their sheet numbers"


async def test_a_door_reported_as_a_wrong_address_drops_out_whole(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    stop, _ = assigned.door_of("Eve")
    item = sync_item(assigned.walk_list, stop, None, "wrong_address")
    synced = await send_sync(client, camp.canvasser.headers, [item])
    assert synced.json()["results"][0]["status"] == "created"

    after, _ = await pull(client, camp, assigned.walk_list["id"])
    assert stop["household_id"] not in {s["household_id"] for s in after["stops"]}
    sheet = await client.get(
        f"{API}/walk_lists/{assigned.walk_list['id']}/sheet.pdf", headers=camp.organizer.headers
    )
    assert sheet.status_code == 200
