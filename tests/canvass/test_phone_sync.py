"""Phone sync: the canvass loop end to end, exactly once, event time, bad items alone."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    build_assigned_list,
    build_walk_list,
    read_contacts,
    read_person,
    send_sync,
    survey_option,
    sync_item,
)


@dataclass
class Knocks:
    """One synced batch: Amy canvassed (strong yes, volunteers, "Bike lanes", a note and a
    place), nobody home at Dot's door, and Eve moved."""

    amy: dict
    dot: dict
    eve: dict
    question_ids: set[int]
    results: list[dict]


@pytest.fixture
async def knocks(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> Knocks:
    walk_list, survey = assigned.walk_list, assigned.survey
    q1, strong_yes = survey_option(survey, 1, "1")
    q2, volunteer_yes = survey_option(survey, 2, "Y")
    q4 = survey["questions"][3]["id"]
    (amy_door, amy), (dot_door, dot) = assigned.door_of("Amy"), assigned.door_of("Dot")
    eve_door, eve = assigned.door_of("Eve")
    answers = [
        {"question_id": q1, "option_ids": [strong_yes]},
        {"question_id": q2, "option_ids": [volunteer_yes]},
        {"question_id": q4, "text": "Bike lanes"},
    ]
    items = [
        sync_item(
            walk_list,
            amy_door,
            amy,
            responses=answers,
            note="Friendly",
            location={"lon": -71.095, "lat": 42.375},
        ),
        sync_item(walk_list, dot_door, None, "not_home"),
        sync_item(walk_list, eve_door, eve, "moved"),
    ]
    response = await send_sync(client, camp.canvasser.headers, items)
    assert response.status_code == 200, response.text
    return Knocks(amy, dot, eve, {q1, q2, q4}, response.json()["results"])


async def test_each_knock_of_a_batch_is_created(knocks: Knocks) -> None:
    assert [r["status"] for r in knocks.results] == ["created", "created", "created"]


async def test_answers_at_the_door_change_the_profile(
    client: AsyncClient, camp: CampaignFixture, knocks: Knocks
) -> None:
    profile = await read_person(client, camp, knocks.amy["id"])
    assert profile["support_level"] == 1 and profile["is_volunteer"] is True
    assert profile["tags"] == ["volunteer-lead"]
    assert profile["custom_fields"]["top_issue"] == "Bike lanes"
    assert profile["last_contacted_at"] is not None


async def test_a_moved_result_marks_the_person_moved(
    client: AsyncClient, camp: CampaignFixture, knocks: Knocks
) -> None:
    assert (await read_person(client, camp, knocks.eve["id"]))["moved"] is True


async def test_nobody_home_is_a_contact_of_the_people_at_the_door(
    client: AsyncClient, camp: CampaignFixture, knocks: Knocks
) -> None:
    assert (await read_person(client, camp, knocks.dot["id"]))["last_contacted_at"] is not None
    [contact] = await read_contacts(client, camp, knocks.dot["id"])
    assert contact["result"] == "not_home"


async def test_the_contact_keeps_its_note_canvasser_and_answers(
    client: AsyncClient, camp: CampaignFixture, knocks: Knocks
) -> None:
    [contact] = await read_contacts(client, camp, knocks.amy["id"])
    assert contact["source"] == "app" and contact["note"] == "Friendly"
    assert contact["canvasser"] == {"id": camp.canvasser.id, "name": "Canvasser of alpha"}
    assert {r["question_id"] for r in contact["responses"]} == knocks.question_ids


async def test_the_next_list_leaves_out_the_volunteer_the_moved_and_the_just_contacted(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, knocks: Knocks
) -> None:
    next_list = await build_walk_list(client, camp, assigned.world)
    assert next_list["person_count"] == assigned.walk_list["person_count"] - 3


async def test_a_list_of_the_contacted_too_still_leaves_out_the_volunteer_and_the_moved(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, knocks: Knocks
) -> None:
    relaxed = await build_walk_list(client, camp, assigned.world, not_contacted_days=0)
    payload = await client.get(f"{API}/walk_lists/{relaxed['id']}", headers=camp.organizer.headers)
    names = {p["first_name"] for s in payload.json()["stops"] for p in s["people"]}
    assert "Amy" not in names and "Eve" not in names
    assert "Dot" in names


async def test_exactly_once_on_retries(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    stop = assigned.stops[0]
    batch = [sync_item(assigned.walk_list, stop, stop["people"][0]) for _ in range(3)]
    batch.append(dict(batch[0]))  # the same client_id twice in one batch
    first = (await send_sync(client, camp.canvasser.headers, batch)).json()["results"]
    assert [r["status"] for r in first] == ["created", "created", "created", "duplicate"]
    assert first[3]["contact_id"] == first[0]["contact_id"]
    again = (await send_sync(client, camp.canvasser.headers, batch)).json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert [r["contact_id"] for r in again] == [r["contact_id"] for r in first]


async def test_exactly_once_under_concurrency(
    live_client: AsyncClient, live_camp: CampaignFixture
) -> None:
    """The same batch sent 10 times at once, on separate connections and transactions."""
    assigned = await build_assigned_list(live_client, live_camp)
    stop = assigned.stops[0]
    batch = [sync_item(assigned.walk_list, stop, stop["people"][0]) for _ in range(5)]
    sends = [send_sync(live_client, live_camp.canvasser.headers, batch) for _ in range(10)]
    answers = [r.json()["results"] for r in await asyncio.gather(*sends)]
    for position in range(5):
        statuses = [a[position]["status"] for a in answers]
        assert statuses.count("created") == 1 and statuses.count("duplicate") == 9
        assert len({a[position]["contact_id"] for a in answers}) == 1
    assert len(await read_contacts(live_client, live_camp, stop["people"][0]["id"])) == 5


async def test_event_time_wins_over_arrival(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    stop = assigned.stops[0]
    target = stop["people"][0]
    q1, lean_no = survey_option(assigned.survey, 1, "4")
    _, strong_yes = survey_option(assigned.survey, 1, "1")
    now = datetime.now(UTC)

    def knock(at: datetime, option_id: int) -> dict:
        responses = [{"question_id": q1, "option_ids": [option_id]}]
        return sync_item(
            assigned.walk_list, stop, target, knocked_at=at.isoformat(), responses=responses
        )

    newer, older = knock(now, lean_no), knock(now - timedelta(hours=3), strong_yes)
    for body in (newer, older):
        response = await send_sync(client, camp.canvasser.headers, [body])
        assert response.json()["results"][0]["status"] == "created"
    assert (await read_person(client, camp, target["id"]))["support_level"] == 4
    assert len(await read_contacts(client, camp, target["id"])) == 2  # both kept as history


@dataclass
class Door:
    """The first door of the assigned list and its first person, which bad items are about."""

    assigned: AssignedList

    @property
    def stop(self) -> dict:
        return self.assigned.stops[0]

    @property
    def someone(self) -> dict:
        return self.stop["people"][0]

    @property
    def neighbour(self) -> dict:
        """A person at the next door."""
        return self.assigned.stops[1]["people"][0]

    def item(self, **extra: Any) -> dict:
        return sync_item(self.assigned.walk_list, self.stop, self.someone, **extra)

    def answer(self, number: int, **fields: Any) -> dict:
        """An item with one answer, to question `number`."""
        question_id = self.assigned.survey["questions"][number - 1]["id"]
        return self.item(responses=[{"question_id": question_id, **fields}])

    def options(self, number: int, *codes: str) -> list[int]:
        """The ids of these options of question `number`."""
        return [survey_option(self.assigned.survey, number, code)[1] for code in codes]


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("bad_item", "loc"),
    [
        pytest.param(
            lambda door: door.item(person_id=door.neighbour["id"]),
            "person_id",
            id="person not at this door",
        ),
        pytest.param(
            lambda door: door.item(knocked_at=in_an_hour()),
            "knocked_at",
            id="knocked in the future",
        ),
        pytest.param(
            lambda door: door.item(knocked_at="2026-01-01T10:00:00"),
            "knocked_at",
            id="knocked_at without a time zone",
        ),
        pytest.param(
            lambda door: door.answer(1, option_ids=door.options(2, "Y")),
            "responses[0].option_ids",
            id="an option of another question",
        ),
        pytest.param(
            lambda door: door.answer(2, option_ids=door.options(2, "Y", "N")),
            "responses[0].option_ids",
            id="two options to a single choice",
        ),
        pytest.param(
            lambda door: door.item(
                responses=[{"question_id": 999999, "option_ids": door.options(1, "1")}]
            ),
            "responses[0].question_id",
            id="unknown question",
        ),
        pytest.param(
            lambda door: door.answer(5, text="ten"),
            "responses[0].number",
            id="words for a number question",
        ),
        pytest.param(
            lambda door: door.item(client_id="not-a-uuid"), "client_id", id="client_id not a UUID"
        ),
        pytest.param(lambda door: door.item(result="abducted"), "result", id="unknown result"),
        pytest.param(
            lambda door: door.item(walk_list_id=999999), "walk_list_id", id="unknown walk list"
        ),
        pytest.param(
            lambda door: sync_item(door.assigned.walk_list, {"household_id": 999999}, None),
            "household_id",
            id="door not on the list",
        ),
        pytest.param(lambda door: "not even an object", "", id="not an object"),
    ],
)
async def test_a_bad_item_is_rejected_alone(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    bad_item: Callable[[Door], Any],
    loc: str,
) -> None:
    door = Door(assigned)
    bad = bad_item(door)
    response = await send_sync(client, camp.canvasser.headers, [door.item(), bad])
    assert response.status_code == 200, response.text
    good_result, bad_result = response.json()["results"]
    assert good_result["status"] == "created"
    assert bad_result["status"] == "rejected" and bad_result["contact_id"] is None
    assert bad_result["errors"][0]["loc"] == loc, bad_result
    assert bad_result["client_id"] == (bad["client_id"] if isinstance(bad, dict) else None)


async def test_more_than_500_items_is_413(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    too_many = [sync_item(assigned.walk_list, assigned.stops[0], None) for _ in range(501)]
    assert (await send_sync(client, camp.canvasser.headers, too_many)).status_code == 413


async def test_a_list_of_another_campaign_is_refused_per_item(
    client: AsyncClient, other: CampaignFixture, assigned: AssignedList
) -> None:
    knock = sync_item(assigned.walk_list, assigned.stops[0], None)
    foreign = await send_sync(client, other.canvasser.headers, [knock])
    assert foreign.json()["results"][0]["errors"][0]["loc"] == "walk_list_id"


async def test_contact_history_is_for_staff_of_the_campaign(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/people/{assigned.stops[0]['people'][0]['id']}/contacts"
    assert (await client.get(url, headers=other.admin.headers)).status_code == 404
    assert (await client.get(url, headers=camp.canvasser.headers)).status_code == 403
