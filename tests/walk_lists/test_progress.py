"""A list's progress, and deleting a list (also while phones are syncing for it)."""

import asyncio

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    build_assigned_list,
    build_walk_list,
    read_contacts,
    send_sync,
    sql,
    survey_option,
    sync_item,
)


def progress_url(walk_list: dict) -> str:
    return f"{API}/walk_lists/{walk_list['id']}/progress"


async def test_a_new_list_has_every_door_and_answer_at_zero(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    empty = await client.get(progress_url(assigned.walk_list), headers=camp.organizer.headers)
    choices = [q for q in assigned.survey["questions"] if q["options"]]
    none_yet = {str(q["id"]): {str(o["id"]): 0 for o in q["options"]} for q in choices}
    assert empty.json() == {
        "walk_list_id": assigned.walk_list["id"],
        "doors_total": 8,
        "doors_attempted": 0,
        "people_total": 9,
        "people_contacted": 0,
        "results": {},
        "answers": none_yet,
    }


@pytest.fixture
async def synced(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> None:
    """Five knocks at four doors: a strong yes who volunteers, a lean no, a door not home whose
    person refused on a second visit, and a door of two not home."""
    walk_list, survey = assigned.walk_list, assigned.survey
    q1, yes = survey_option(survey, 1, "1")
    _, lean_no = survey_option(survey, 1, "4")
    q2, volunteer = survey_option(survey, 2, "Y")
    two_at_door = next(s for s in assigned.stops if len(s["people"]) == 2)
    alone = [s for s in assigned.stops if len(s["people"]) == 1]
    items = [
        sync_item(
            walk_list,
            alone[0],
            alone[0]["people"][0],
            responses=[
                {"question_id": q1, "option_ids": [yes]},
                {"question_id": q2, "option_ids": [volunteer]},
            ],
        ),
        sync_item(
            walk_list,
            alone[1],
            alone[1]["people"][0],
            responses=[{"question_id": q1, "option_ids": [lean_no]}],
        ),
        sync_item(walk_list, alone[2], None, "not_home"),
        sync_item(walk_list, alone[2], alone[2]["people"][0], "refused"),  # came back later
        sync_item(walk_list, two_at_door, None, "not_home"),
    ]
    response = await send_sync(client, camp.canvasser.headers, items)
    assert {r["status"] for r in response.json()["results"]} == {"created"}


async def test_progress_counts_doors_people_results_and_answers(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, synced: None
) -> None:
    survey = assigned.survey
    q1, yes = survey_option(survey, 1, "1")
    _, lean_no = survey_option(survey, 1, "4")
    q2, volunteer = survey_option(survey, 2, "Y")
    url = progress_url(assigned.walk_list)
    done = (await client.get(url, headers=camp.canvasser.headers)).json()  # assigned to them
    assert (done["doors_attempted"], done["people_contacted"]) == (4, 3)
    assert done["results"] == {"canvassed": 2, "not_home": 2, "refused": 1}
    answers = done["answers"]
    assert answers[str(q1)][str(yes)] == 1 and answers[str(q1)][str(lean_no)] == 1
    assert answers[str(q2)][str(volunteer)] == 1
    assert sum(sum(v.values()) for v in answers.values()) == 3


async def test_another_list_of_the_same_turf_has_its_own_progress(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, synced: None
) -> None:
    second = await build_walk_list(client, camp, assigned.world, not_contacted_days=0)
    fresh = await client.get(progress_url(second), headers=camp.data_entry.headers)
    assert fresh.json()["doors_attempted"] == 0 and fresh.json()["results"] == {}


async def test_progress_is_for_staff_and_the_lists_canvassers(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    unassigned = await build_walk_list(client, camp, assigned.world)
    mine = progress_url(assigned.walk_list)
    assert (await client.get(mine, headers=camp.canvasser.headers)).status_code == 200
    theirs = progress_url(unassigned)
    assert (await client.get(theirs, headers=camp.canvasser.headers)).status_code == 404
    assert (await client.get(mine, headers=other.organizer.headers)).status_code == 404
    unknown = progress_url({"id": 999999})
    assert (await client.get(unknown, headers=camp.organizer.headers)).status_code == 404


async def test_only_staff_of_the_campaign_delete_lists(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    for member in (camp.canvasser, camp.data_entry):
        assert (await client.delete(url, headers=member.headers)).status_code == 403
    assert (await client.delete(url, headers=other.admin.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=camp.organizer.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 404


@pytest.fixture
async def deleted_after_a_knock(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> int:
    """A knock synced at the first door, then the list deleted: the knock's contact id."""
    knock = sync_item(assigned.walk_list, assigned.stops[0], None)
    first = await send_sync(client, camp.canvasser.headers, [knock])
    contact_id: int = first.json()["results"][0]["contact_id"]
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    return contact_id


async def test_a_phone_syncing_for_a_deleted_list_is_refused_per_item(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, deleted_after_a_knock: int
) -> None:
    """The phone pulled the list before it was deleted, and syncs afterwards."""
    late = sync_item(assigned.walk_list, assigned.stops[0], None)
    response = await send_sync(client, camp.canvasser.headers, [late])
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected" and result["errors"][0]["loc"] == "walk_list_id"


async def test_a_deleted_list_leaves_its_contacts_in_history_and_no_targets(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    deleted_after_a_knock: int,
    connection: AsyncConnection,
) -> None:
    history = await read_contacts(client, camp, assigned.stops[0]["people"][0]["id"])
    assert [(c["id"], c["walk_list_id"]) for c in history] == [(deleted_after_a_knock, None)]
    left = await sql(
        connection,
        "SELECT count(*) FROM walk_list_target WHERE walk_list_id = :id",
        id=assigned.walk_list["id"],
    )
    assert left[0][0] == 0


async def test_the_next_list_does_not_reuse_a_deleted_lists_number(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, deleted_after_a_knock: int
) -> None:
    """Numbers are printed on sheets."""
    again = await build_walk_list(client, camp, assigned.world)
    assert again["number"] == f"{camp.id:04d}-0002"


async def test_deleting_its_lists_frees_the_turf(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, deleted_after_a_knock: int
) -> None:
    turf = await client.delete(
        f"{API}/turfs/{assigned.world.turf['id']}", headers=camp.organizer.headers
    )
    assert turf.status_code == 204


async def test_a_list_deleted_while_phones_sync(
    live_client: AsyncClient, live_camp: CampaignFixture
) -> None:
    """Syncs and the deletion race on separate connections: every item is either created (and
    kept as history with no list) or rejected; never a 500."""
    assigned = await build_assigned_list(live_client, live_camp)
    walk_list, stops = assigned.walk_list, assigned.stops
    batches = [[sync_item(walk_list, stop, None, "not_home") for stop in stops] for _ in range(6)]
    headers = live_camp.canvasser.headers
    sends = [send_sync(live_client, headers, batch) for batch in batches]
    delete = live_client.delete(
        f"{API}/walk_lists/{walk_list['id']}", headers=live_camp.organizer.headers
    )
    *synced, deleted = await asyncio.gather(*sends, delete)
    assert deleted.status_code == 204
    assert all(r.status_code == 200 for r in synced), [r.text for r in synced]
    statuses = [x["status"] for r in synced for x in r.json()["results"]]
    assert set(statuses) <= {"created", "rejected"}
    history = await read_contacts(live_client, live_camp, stops[0]["people"][0]["id"])
    created_here = sum(1 for r in synced if r.json()["results"][0]["status"] == "created")
    assert len(history) == created_here
    assert all(c["walk_list_id"] is None for c in history)
