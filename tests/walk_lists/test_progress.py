"""A list's progress, and deleting a list (also while phones are syncing for it)."""

import asyncio

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.canvass.test_phone_sync import item, option, ready
from tests.conftest import CampaignFixture, sql
from tests.helpers import API
from tests.walk_lists.test_walk_lists import build


async def test_progress_counts_doors_people_results_and_answers(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    world, walk_list, payload = await ready(client, camp)
    survey = world["survey"]
    url = f"{API}/walk_lists/{walk_list['id']}/progress"
    empty = (await client.get(url, headers=camp.organizer.headers)).json()
    q1, yes = option(survey, 1, "1")
    _, lean_no = option(survey, 1, "4")
    q2, volunteer = option(survey, 2, "Y")
    choice_questions = {q["id"]: {o["id"]: 0 for o in q["options"]}
                        for q in survey["questions"] if q["options"]}  # fmt: skip
    assert empty == {
        "walk_list_id": walk_list["id"], "doors_total": 8, "doors_attempted": 0,
        "people_total": 9, "people_contacted": 0, "results": {},
        "answers": {str(q): {str(o): 0 for o in opts} for q, opts in choice_questions.items()},
    }  # fmt: skip

    stops = payload["stops"]
    two_at_door = next(s for s in stops if len(s["people"]) == 2)
    alone = [s for s in stops if len(s["people"]) == 1]
    items = [
        item(walk_list, alone[0], alone[0]["people"][0], responses=[
            {"question_id": q1, "option_ids": [yes]},
            {"question_id": q2, "option_ids": [volunteer]},
        ]),
        item(walk_list, alone[1], alone[1]["people"][0], responses=[
            {"question_id": q1, "option_ids": [lean_no]},
        ]),
        item(walk_list, alone[2], None, "not_home"),
        item(walk_list, alone[2], alone[2]["people"][0], "refused"),  # came back later
        item(walk_list, two_at_door, None, "not_home"),
    ]  # fmt: skip
    synced = await client.post(
        f"{API}/sync", json={"results": items}, headers=camp.canvasser.headers
    )
    assert {r["status"] for r in synced.json()["results"]} == {"created"}

    done = (await client.get(url, headers=camp.canvasser.headers)).json()  # assigned to them
    assert (done["doors_attempted"], done["people_contacted"]) == (4, 3)
    assert done["results"] == {"canvassed": 2, "not_home": 2, "refused": 1}
    assert done["answers"][str(q1)][str(yes)] == 1 and done["answers"][str(q1)][str(lean_no)] == 1
    assert done["answers"][str(q2)][str(volunteer)] == 1
    assert sum(sum(v.values()) for v in done["answers"].values()) == 3

    # Another list of the same turf has its own progress.
    second = (await build(client, camp, world, not_contacted_days=0)).json()
    fresh = await client.get(f"{API}/walk_lists/{second['id']}/progress",
                             headers=camp.data_entry.headers)  # fmt: skip
    assert fresh.json()["doors_attempted"] == 0 and fresh.json()["results"] == {}

    assert (await client.get(f"{API}/walk_lists/{second['id']}/progress",
                             headers=camp.canvasser.headers)).status_code == 404  # fmt: skip
    assert (await client.get(url, headers=other.organizer.headers)).status_code == 404
    assert (await client.get(f"{API}/walk_lists/999999/progress",
                             headers=camp.organizer.headers)).status_code == 404  # fmt: skip


async def test_deleting_a_list_keeps_its_history_and_frees_its_turf(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, connection: AsyncConnection
) -> None:
    world, walk_list, payload = await ready(client, camp)
    stop = payload["stops"][0]
    url = f"{API}/walk_lists/{walk_list['id']}"
    first = await client.post(f"{API}/sync", json={"results": [item(walk_list, stop, None)]},
                              headers=camp.canvasser.headers)  # fmt: skip
    contact_id = first.json()["results"][0]["contact_id"]

    for member in (camp.canvasser, camp.data_entry):
        assert (await client.delete(url, headers=member.headers)).status_code == 403
    assert (await client.delete(url, headers=other.admin.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=camp.organizer.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 404

    # A phone that pulled the list before it was deleted syncs afterwards: refused per item.
    late = await client.post(f"{API}/sync", json={"results": [item(walk_list, stop, None)]},
                             headers=camp.canvasser.headers)  # fmt: skip
    assert late.status_code == 200
    assert late.json()["results"][0]["status"] == "rejected"
    assert late.json()["results"][0]["errors"][0]["loc"] == "walk_list_id"

    history = (await client.get(f"{API}/people/{stop['people'][0]['id']}/contacts",
                                headers=camp.organizer.headers)).json()["results"]  # fmt: skip
    assert [(c["id"], c["walk_list_id"]) for c in history] == [(contact_id, None)]
    left = await sql(connection, "SELECT count(*) FROM walk_list_target WHERE walk_list_id = :id",
                     id=walk_list["id"])  # fmt: skip
    assert left[0][0] == 0

    # Numbers are printed on sheets: the next list does not reuse the deleted one's.
    again = (await build(client, camp, world)).json()
    assert again["number"] == f"{camp.id:04d}-0002"
    await client.delete(f"{API}/walk_lists/{again['id']}", headers=camp.organizer.headers)
    turf = await client.delete(f"{API}/turfs/{world['turf']['id']}", headers=camp.organizer.headers)
    assert turf.status_code == 204


async def test_a_list_deleted_while_phones_sync(
    live_client: AsyncClient, live_camp: CampaignFixture
) -> None:
    """Syncs and the deletion race on separate connections: every item is either created (and
    kept as history with no list) or rejected; never a 500."""
    _, walk_list, payload = await ready(live_client, live_camp)
    stops = payload["stops"]
    batches = [[item(walk_list, stop, None, "not_home") for stop in stops] for _ in range(6)]
    headers = live_camp.canvasser.headers
    sends = [live_client.post(f"{API}/sync", json={"results": b}, headers=headers)
             for b in batches]  # fmt: skip
    delete = live_client.delete(
        f"{API}/walk_lists/{walk_list['id']}", headers=live_camp.organizer.headers
    )
    *synced, deleted = await asyncio.gather(*sends, delete)
    assert deleted.status_code == 204
    assert all(r.status_code == 200 for r in synced), [r.text for r in synced]
    statuses = [x["status"] for r in synced for x in r.json()["results"]]
    assert set(statuses) <= {"created", "rejected"}
    history = (await live_client.get(f"{API}/people/{stops[0]['people'][0]['id']}/contacts",
                                     headers=live_camp.organizer.headers)).json()  # fmt: skip
    created_here = sum(1 for r in synced if r.json()["results"][0]["status"] == "created")
    assert len(history["results"]) == created_here
    assert all(c["walk_list_id"] is None for c in history["results"])
