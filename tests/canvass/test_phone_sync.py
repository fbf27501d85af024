"""Sync and feedback: the canvass loop end to end, exactly once, event time, bad items."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient

from tests.conftest import CampaignFixture
from tests.helpers import API
from tests.walk_lists.test_walk_lists import build, build_world


def item(
    walk_list: dict, stop: dict, person: dict | None, result: str = "canvassed", **extra: Any
) -> dict:
    body = {
        "client_id": str(uuid.uuid4()),
        "walk_list_id": walk_list["id"],
        "household_id": stop["household_id"],
        "person_id": person["id"] if person else None,
        "result": result,
        "knocked_at": datetime.now(UTC).isoformat(),
        "responses": [],
    }
    return body | extra


def option(survey: dict, number: int, code: str) -> tuple[int, int]:
    question = survey["questions"][number - 1]
    return question["id"], next(o["id"] for o in question["options"] if o["code"] == code)


async def ready(client: AsyncClient, camp: CampaignFixture) -> tuple[dict, dict, dict]:
    world = await build_world(client, camp)
    walk_list = (await build(client, camp, world)).json()
    assign = {"user_ids": [camp.canvasser.id]}
    url = f"{API}/walk_lists/{walk_list['id']}"
    await client.post(f"{url}/assignments", json=assign, headers=camp.organizer.headers)
    payload = (
        await client.get(f"{API}/walk_lists/{walk_list['id']}", headers=camp.canvasser.headers)
    ).json()
    return world, walk_list, payload


async def person(client: AsyncClient, camp: CampaignFixture, person_id: int) -> dict:
    return (await client.get(f"{API}/people/{person_id}", headers=camp.organizer.headers)).json()


async def test_the_loop_answers_change_profiles_and_the_next_list(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    world, walk_list, payload = await ready(client, camp)
    survey = world["survey"]
    dot_stop, eli_stop = payload["stops"][0], payload["stops"][1]
    dot, eli = dot_stop["people"][0], eli_stop["people"][0]
    q1, strong_yes = option(survey, 1, "1")
    q2, volunteer_yes = option(survey, 2, "Y")
    q4 = survey["questions"][3]["id"]
    moved_stop = payload["stops"][3]
    items = [
        item(walk_list, dot_stop, dot, responses=[
            {"question_id": q1, "option_ids": [strong_yes]},
            {"question_id": q2, "option_ids": [volunteer_yes]},
            {"question_id": q4, "text": "Bike lanes"},
        ], note="Friendly", location={"lon": -71.095, "lat": 42.375}),
        item(walk_list, eli_stop, None, "not_home"),
        item(walk_list, moved_stop, moved_stop["people"][0], "moved"),
    ]  # fmt: skip
    response = await client.post(
        f"{API}/sync", json={"results": items}, headers=camp.canvasser.headers
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "created"]

    profile = await person(client, camp, dot["id"])
    assert profile["support_level"] == 1 and profile["is_volunteer"] is True
    assert profile["tags"] == ["volunteer-lead"]
    assert profile["custom_fields"]["top_issue"] == "Bike lanes"
    assert profile["last_contacted_at"] is not None
    assert (await person(client, camp, moved_stop["people"][0]["id"]))["moved"] is True
    assert (await person(client, camp, eli["id"]))["last_contacted_at"] is not None

    history = (
        await client.get(f"{API}/people/{dot['id']}/contacts", headers=camp.organizer.headers)
    ).json()
    [contact] = history["results"]
    assert contact["source"] == "app" and contact["note"] == "Friendly"
    assert contact["canvasser"] == {"id": camp.canvasser.id, "name": "Canvasser of alpha"}
    assert {r["question_id"] for r in contact["responses"]} == {q1, q2, q4}
    door = (
        await client.get(f"{API}/people/{eli['id']}/contacts", headers=camp.organizer.headers)
    ).json()
    assert door["results"][0]["result"] == "not_home"

    # The next list: the volunteer, the moved person and everyone just contacted are left out.
    next_list = (await build(client, camp, world)).json()
    assert next_list["person_count"] == walk_list["person_count"] - 3
    relaxed = (await build(client, camp, world, not_contacted_days=0)).json()
    names = {p["first_name"] for s in (await client.get(f"{API}/walk_lists/{relaxed['id']}",
             headers=camp.organizer.headers)).json()["stops"] for p in s["people"]}  # fmt: skip
    assert dot["first_name"] not in names and moved_stop["people"][0]["first_name"] not in names
    assert eli["first_name"] in names


async def test_exactly_once_on_retries(client: AsyncClient, camp: CampaignFixture) -> None:
    _, walk_list, payload = await ready(client, camp)
    stop = payload["stops"][0]
    batch = [item(walk_list, stop, stop["people"][0]) for _ in range(3)]
    batch.append(dict(batch[0]))  # the same client_id twice in one batch
    first = (
        await client.post(f"{API}/sync", json={"results": batch}, headers=camp.canvasser.headers)
    ).json()
    assert [r["status"] for r in first["results"]] == ["created", "created", "created", "duplicate"]
    assert first["results"][3]["contact_id"] == first["results"][0]["contact_id"]
    again = (
        await client.post(f"{API}/sync", json={"results": batch}, headers=camp.canvasser.headers)
    ).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 4
    assert [r["contact_id"] for r in again["results"]] == [
        r["contact_id"] for r in first["results"]
    ]


async def test_exactly_once_under_concurrency(
    live_client: AsyncClient, live_camp: CampaignFixture
) -> None:
    """The same batch sent 10 times at once, on separate connections and transactions."""
    _, walk_list, payload = await ready(live_client, live_camp)
    stop = payload["stops"][0]
    batch = [item(walk_list, stop, stop["people"][0]) for _ in range(5)]
    sends = [
        live_client.post(
            f"{API}/sync", json={"results": batch}, headers=live_camp.canvasser.headers
        )
        for _ in range(10)
    ]
    answers = [r.json()["results"] for r in await asyncio.gather(*sends)]
    for position in range(5):
        statuses = [a[position]["status"] for a in answers]
        assert statuses.count("created") == 1 and statuses.count("duplicate") == 9
        assert len({a[position]["contact_id"] for a in answers}) == 1
    history = (await live_client.get(f"{API}/people/{stop['people'][0]['id']}/contacts",
                                     headers=live_camp.organizer.headers)).json()  # fmt: skip
    assert len(history["results"]) == 5


async def test_event_time_wins_over_arrival(client: AsyncClient, camp: CampaignFixture) -> None:
    world, walk_list, payload = await ready(client, camp)
    stop = payload["stops"][0]
    target = stop["people"][0]
    q1, lean_no = option(world["survey"], 1, "4")
    _, strong_yes = option(world["survey"], 1, "1")
    now = datetime.now(UTC)
    newer = item(walk_list, stop, target, knocked_at=now.isoformat(),
                 responses=[{"question_id": q1, "option_ids": [lean_no]}])  # fmt: skip
    older = item(walk_list, stop, target, knocked_at=(now - timedelta(hours=3)).isoformat(),
                 responses=[{"question_id": q1, "option_ids": [strong_yes]}])  # fmt: skip
    for body in (newer, older):
        response = await client.post(
            f"{API}/sync", json={"results": [body]}, headers=camp.canvasser.headers
        )
        assert response.json()["results"][0]["status"] == "created"
    assert (await person(client, camp, target["id"]))["support_level"] == 4
    history = (
        await client.get(f"{API}/people/{target['id']}/contacts", headers=camp.organizer.headers)
    ).json()
    assert len(history["results"]) == 2  # both kept as history


async def test_bad_items_are_rejected_alone(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    world, walk_list, payload = await ready(client, camp)
    survey = world["survey"]
    stop, other_stop = payload["stops"][0], payload["stops"][1]
    q1, yes = option(survey, 1, "1")
    q2, volunteer_yes = option(survey, 2, "Y")
    q5 = survey["questions"][4]["id"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    someone = stop["people"][0]

    def answer(question_id: int, **fields: Any) -> list[dict[str, Any]]:
        return [{"question_id": question_id, **fields}]

    items = [
        item(walk_list, stop, someone),
        item(walk_list, stop, other_stop["people"][0]),  # not at this door
        item(walk_list, stop, stop["people"][0], knocked_at=future),
        item(walk_list, stop, someone, responses=answer(q1, option_ids=[volunteer_yes])),
        item(walk_list, stop, someone, responses=answer(999999, option_ids=[yes])),
        item(walk_list, stop, someone, responses=answer(q5, text="ten")),
        item(walk_list, stop, stop["people"][0], client_id="not-a-uuid"),
        item(walk_list, stop, stop["people"][0], result="abducted"),
        item(walk_list, stop, stop["people"][0], walk_list_id=999999),
        item(walk_list, {"household_id": 999999}, None),
        "not even an object",
        item(walk_list, stop, stop["people"][0], knocked_at="2026-01-01T10:00:00"),  # no offset
        item(walk_list, stop, someone,
             responses=answer(q2, option_ids=[volunteer_yes, volunteer_yes + 1])),
    ]  # fmt: skip
    response = await client.post(
        f"{API}/sync", json={"results": items}, headers=camp.canvasser.headers
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(items)
    assert results[0]["status"] == "created"
    assert all(r["status"] == "rejected" and r["errors"] for r in results[1:])
    locs = [r["errors"][0]["loc"] for r in results[1:]]
    assert locs[:4] == [
        "person_id",
        "knocked_at",
        "responses[0].option_ids",
        "responses[0].question_id",
    ]
    assert locs[4] == "responses[0].number"
    assert locs[5] == "client_id" and locs[6] == "result"
    assert locs[7] == "walk_list_id" and locs[8] == "household_id"
    assert results[6]["client_id"] == "not-a-uuid" and results[10]["client_id"] is None

    too_many = [item(walk_list, stop, None) for _ in range(501)]
    big = await client.post(
        f"{API}/sync", json={"results": too_many}, headers=camp.canvasser.headers
    )
    assert big.status_code == 413

    # Lists the caller may not use: another canvasser's, another campaign's.
    foreign = await client.post(f"{API}/sync", json={"results": [item(walk_list, stop, None)]},
                                headers=other.canvasser.headers)  # fmt: skip
    assert foreign.json()["results"][0]["errors"][0]["loc"] == "walk_list_id"
    assert (await client.get(f"{API}/people/{stop['people'][0]['id']}/contacts",
                             headers=other.admin.headers)).status_code == 404  # fmt: skip
    assert (await client.get(f"{API}/people/{stop['people'][0]['id']}/contacts",
                             headers=camp.canvasser.headers)).status_code == 403  # fmt: skip
