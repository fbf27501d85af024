"""Walk lists: build (filters, exclusions, order, lines), phone payload, ETag, assignments."""

import itertools
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    CampaignWorld,
    build_walk_list,
    create_survey,
    create_turf,
    grid_precincts,
    import_precincts,
    precinct_ids,
    sql,
    upload_voters,
    voter,
    voter_csv,
)

PAYLOAD_PERSON = {"id", "line", "first_name", "last_name", "age", "sex", "party", "support_level"}


@pytest.fixture
async def walk_list(client: AsyncClient, camp: CampaignFixture, world: CampaignWorld) -> dict:
    """The first list built on the world's turf, with no filters: its summary."""
    return await build_walk_list(client, camp, world)


@pytest.fixture
async def payload(client: AsyncClient, camp: CampaignFixture, walk_list: dict) -> dict:
    """The first list as a phone pulls it."""
    response = await client.get(
        f"{API}/walk_lists/{walk_list['id']}", headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_lists_are_numbered_per_campaign_and_named_after_their_turf(
    client: AsyncClient, camp: CampaignFixture, world: CampaignWorld, walk_list: dict
) -> None:
    assert walk_list["name"] == "P1 turf" and walk_list["version"] == 1
    assert walk_list["number"] == f"{camp.id:04d}-0001"
    assert (walk_list["door_count"], walk_list["person_count"]) == (8, 9)
    second = await build_walk_list(client, camp, world)
    assert second["number"] == f"{camp.id:04d}-0002"


async def test_the_payload_carries_the_survey_without_its_effects(
    world: CampaignWorld, payload: dict
) -> None:
    assert payload["survey"]["id"] == world.survey["id"]
    assert [q["number"] for q in payload["survey"]["questions"]] == [1, 2, 3, 4, 5]
    assert set(payload["survey"]["questions"][0]["options"][0]) == {"id", "code", "label"}


async def test_doors_at_one_point_keep_street_order(walk_list: dict, payload: dict) -> None:
    """Every door is at one point here: the route is free, ties keep street order (street, odd
    side then even, number, unit), and a crossing of Oak St costs more than going to Elm St."""
    doors = [(s["seq"], s["address"], s["unit"]) for s in payload["stops"]]
    assert doors == [
        (1, "3 Oak St", None),
        (2, "5 Elm St", None),
        (3, "7 Elm St", "1"),
        (4, "7 Elm St", "2"),
        (5, "2 Oak St", None),
        (6, "4 Oak St", None),
        (7, "6 Oak St", None),
        (8, "10 Oak St", None),
    ]
    assert walk_list["route"] == payload["route"] == {"distance_m": 0.0, "minutes": 16.0}


async def test_lines_run_through_the_list_and_people_at_a_door_go_by_name(payload: dict) -> None:
    lines = [(p["line"], p["first_name"]) for s in payload["stops"] for p in s["people"]]
    assert [n for n, _ in lines] == list(range(1, 10))
    assert lines[0:2] == [(1, "Amy"), (2, "Zed")]  # same door: by last then first name


async def test_the_payload_tells_a_canvasser_only_who_is_at_the_door(payload: dict) -> None:
    dot = payload["stops"][1]["people"][0]
    assert set(dot) == PAYLOAD_PERSON
    assert dot["first_name"] == "Dot" and dot["age"] is not None and dot["party"] == "R"


@pytest.fixture
async def marked_world(world: CampaignWorld, connection: AsyncConnection) -> CampaignWorld:
    """The world with its people marked: Zed deceased, Amy moved, Bea do-not-contact, Cal a
    volunteer, Gus contacted 3 days ago, Hal at support level 2 and tagged "walker", and
    Eve's door a wrong address. Dot, Eli and Hal are left to knock on."""
    ids = {k: v["id"] for k, v in world.people.items()}
    marks = {
        "A1": "deceased = true",
        "A2": "moved = true",
        "B1": "do_not_contact = true",
        "C1": "is_volunteer = true",
        "G1": "last_contacted_at = now() - interval '3 days'",
        "H1": "support_level = 2, tags = '{walker}'",
    }
    for voter_id, change in marks.items():
        await sql(connection, f"UPDATE person SET {change} WHERE id = :i", i=ids[voter_id])
    eve_door = world.people["E1"]["household"]["id"]
    await sql(connection, "UPDATE household SET wrong_address = true WHERE id = :h", h=eve_door)
    return world


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        pytest.param(
            {}, {"Dot", "Eli", "Hal"}, id="the never-canvass and the recently contacted left out"
        ),
        pytest.param(
            {"include_volunteers": True}, {"Cal", "Dot", "Eli", "Hal"}, id="volunteers included"
        ),
        pytest.param(
            {"not_contacted_days": 0}, {"Dot", "Eli", "Gus", "Hal"}, id="contacted whenever"
        ),
        pytest.param(
            {"not_contacted_days": 2}, {"Dot", "Eli", "Gus", "Hal"}, id="not contacted for 2 days"
        ),
        pytest.param({"support_levels": [2]}, {"Hal"}, id="support level 2"),
        pytest.param({"support_levels": ["unknown"]}, {"Dot", "Eli"}, id="support level unknown"),
        pytest.param({"parties": ["r"]}, {"Dot"}, id="party in any case"),
        pytest.param({"sexes": ["M"]}, {"Dot"}, id="sex"),
        pytest.param({"age_min": 70}, {"Dot"}, id="at least 70"),
        pytest.param({"age_max": 60}, {"Eli", "Hal"}, id="at most 60"),
        pytest.param({"tags_any": ["walker"]}, {"Hal"}, id="tagged walker"),
        pytest.param({"tags_none": ["walker"]}, {"Dot", "Eli"}, id="not tagged walker"),
    ],
)
async def test_filters_choose_who_is_on_the_list(
    client: AsyncClient,
    camp: CampaignFixture,
    marked_world: CampaignWorld,
    filters: dict[str, Any],
    names: set[str],
) -> None:
    created = await build_walk_list(client, camp, marked_world, **filters)
    listed = await client.get(f"{API}/walk_lists/{created['id']}", headers=camp.admin.headers)
    assert {p["first_name"] for s in listed.json()["stops"] for p in s["people"]} == names


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"turf_id": 999999}, "body.turf_id", id="unknown turf"),
        pytest.param(
            {"filters": {"support_levels": [7]}},
            "body.filters.support_levels[0]",
            id="support level out of range",
        ),
        pytest.param(
            {"filters": {"age_min": 50, "age_max": 20}},
            "body.filters",
            id="ages the wrong way round",
        ),
        pytest.param({"filters": {"colour": "red"}}, "body.filters.colour", id="unknown filter"),
    ],
)
async def test_a_bad_build_request_is_422_naming_the_field(
    client: AsyncClient,
    camp: CampaignFixture,
    world: CampaignWorld,
    change: dict[str, Any],
    loc: str,
) -> None:
    body = {"turf_id": world.turf["id"], "survey_id": world.survey["id"]} | change
    response = await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert any(e["loc"].startswith(loc) for e in response.json()["errors"]), response.json()


async def test_a_survey_of_another_campaign_is_422(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, world: CampaignWorld
) -> None:
    foreign_survey = await create_survey(client, other.admin.headers)
    body = {"turf_id": world.turf["id"], "survey_id": foreign_survey["id"]}
    response = await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert any(e["loc"].startswith("body.survey_id") for e in response.json()["errors"])


async def test_the_payload_is_gzipped_on_request(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict
) -> None:
    url = f"{API}/walk_lists/{walk_list['id']}"
    response = await client.get(url, headers={**camp.organizer.headers, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


async def test_the_etag_holds_until_a_support_level_changes(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict
) -> None:
    """The payload shows live support levels: a change makes a new ETag."""
    url = f"{API}/walk_lists/{walk_list['id']}"
    first = await client.get(url, headers=camp.organizer.headers)
    etag = first.headers["etag"]
    cached = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""

    person_id = first.json()["stops"][0]["people"][0]["id"]
    await client.patch(
        f"{API}/people/{person_id}", json={"support_level": 1}, headers=camp.organizer.headers
    )
    changed = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


@pytest.mark.parametrize(
    ("change", "new_etag"),
    [
        pytest.param({"first_name": "Zelda"}, True, id="first name"),
        pytest.param({"last_name": "Zorn"}, True, id="last name"),
        pytest.param({"birth_date": "1950-02-03"}, True, id="birth date (age)"),
        pytest.param({"party": "GRN"}, True, id="party"),
        pytest.param({"phone": "617-555-0199"}, False, id="phone: not on the payload"),
        pytest.param({"custom_fields": {"dog": "yes"}}, False, id="custom field: not on it"),
    ],
)
async def test_the_etag_follows_exactly_what_the_payload_shows(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict, change: dict, new_etag: bool
) -> None:
    """The ETag is computed in SQL from the payload's own columns (a 304 builds nothing): a
    change the phone would see makes a new one, a change it would not see keeps it."""
    url = f"{API}/walk_lists/{walk_list['id']}"
    first = await client.get(url, headers=camp.organizer.headers)
    etag = first.headers["etag"]
    person_id = first.json()["stops"][0]["people"][0]["id"]
    patched = await client.patch(
        f"{API}/people/{person_id}", json=change, headers=camp.organizer.headers
    )
    assert patched.status_code == 200, patched.text
    again = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": etag})
    assert again.status_code == (200 if new_etag else 304)
    assert (again.headers["etag"] != etag) is new_etag
    if new_etag:  # the 200 carries the ETag a 304 would have
        fresh = again.headers["etag"]
        same = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": fresh})
        assert same.status_code == 304


async def test_a_turf_with_a_list_cannot_be_deleted(
    client: AsyncClient, camp: CampaignFixture, world: CampaignWorld, walk_list: dict
) -> None:
    in_use = await client.delete(f"{API}/turfs/{world.turf['id']}", headers=camp.organizer.headers)
    assert in_use.status_code == 409


async def assign(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict, user_ids: list[int]
) -> Response:
    return await client.post(
        f"{API}/walk_lists/{walk_list['id']}/assignments",
        json={"user_ids": user_ids},
        headers=camp.organizer.headers,
    )


async def test_a_canvasser_sees_no_list_until_assigned(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict
) -> None:
    url = f"{API}/walk_lists/{walk_list['id']}"
    assert (await client.get(url, headers=camp.canvasser.headers)).status_code == 404
    listed = await client.get(f"{API}/walk_lists", headers=camp.canvasser.headers)
    assert listed.json()["results"] == []


async def test_only_canvassers_of_the_campaign_can_be_assigned(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, walk_list: dict
) -> None:
    user_ids = [camp.canvasser.id, camp.data_entry.id, other.canvasser.id]
    bad = await assign(client, camp, walk_list, user_ids)
    assert bad.status_code == 422
    assert {e["loc"] for e in bad.json()["errors"]} == {"body.user_ids[1]", "body.user_ids[2]"}


async def test_assigning_twice_is_assigning_once(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict
) -> None:
    ok = await assign(client, camp, walk_list, [camp.canvasser.id, camp.canvasser.id])
    assert ok.json() == {"walk_list_id": walk_list["id"], "user_ids": [camp.canvasser.id]}
    again = await assign(client, camp, walk_list, [camp.canvasser.id])
    assert again.status_code == 200


async def test_an_assigned_canvasser_reads_and_lists_their_list(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    assert all(set(p) == PAYLOAD_PERSON for s in assigned.stops for p in s["people"])
    listed = await client.get(f"{API}/walk_lists", headers=camp.canvasser.headers)
    assert [w["id"] for w in listed.json()["results"]] == [assigned.walk_list["id"]]


async def test_data_entry_reads_lists_without_an_assignment(
    client: AsyncClient, camp: CampaignFixture, walk_list: dict
) -> None:
    url = f"{API}/walk_lists/{walk_list['id']}"
    assert (await client.get(url, headers=camp.data_entry.headers)).status_code == 200


async def test_a_canvasser_can_neither_build_nor_assign(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    canvasser = camp.canvasser
    built = await client.post(f"{API}/walk_lists", json={}, headers=canvasser.headers)
    assert built.status_code == 403
    reassigned = await client.post(
        f"{API}/walk_lists/{assigned.walk_list['id']}/assignments",
        json={"user_ids": [canvasser.id]},
        headers=canvasser.headers,
    )
    assert reassigned.status_code == 403


async def test_unassigning_takes_the_list_away(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    assignment = f"{url}/assignments/{camp.canvasser.id}"
    assert (await client.delete(assignment, headers=camp.organizer.headers)).status_code == 204
    assert (await client.delete(assignment, headers=camp.organizer.headers)).status_code == 404
    assert (await client.get(url, headers=camp.canvasser.headers)).status_code == 404


async def test_another_campaign_can_neither_see_nor_assign_a_list(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, walk_list: dict
) -> None:
    url = f"{API}/walk_lists/{walk_list['id']}"
    foreign = other.admin.headers
    assert (await client.get(url, headers=foreign)).status_code == 404
    assign_theirs = {"user_ids": [other.canvasser.id]}
    assigned = await client.post(f"{url}/assignments", json=assign_theirs, headers=foreign)
    assert assigned.status_code == 404
    assert (await client.get(f"{API}/walk_lists", headers=foreign)).json()["results"] == []


async def test_lists_follow_a_walking_route(client: AsyncClient, camp: CampaignFixture) -> None:
    """One block of Oak St, odd numbers on the north side, even on the south, 16 m apart: the
    route walks one side, crosses once, and comes back on the other."""
    headers = camp.organizer.headers
    await import_precincts(client, headers, grid_precincts())
    rows = [
        voter(
            f"N{n}",
            last_name=f"North{n}",
            street="Oak St",
            house_number=str(n),
            lon=f"{-71.099 + n * 0.0001:.6f}",
            lat="42.37515" if n % 2 else "42.37495",
        )
        for n in range(1, 21)
    ]
    await upload_voters(client, headers, voter_csv(rows))
    turf = await create_turf(client, headers, "Oak", [(await precinct_ids(client, headers))["P1"]])
    survey = await create_survey(client, headers)
    body = {"turf_id": turf["id"], "survey_id": survey["id"]}
    summary = (await client.post(f"{API}/walk_lists", json=body, headers=headers)).json()
    payload = (await client.get(f"{API}/walk_lists/{summary['id']}", headers=headers)).json()
    numbers = [int(s["address"].split()[0]) for s in payload["stops"]]
    assert sorted(numbers) == list(range(1, 21))
    sides = [n % 2 for n in numbers]
    assert sum(a != b for a, b in itertools.pairwise(sides)) == 1  # one crossing
    one_side = ([*range(1, 20, 2)], [*range(19, 0, -2)], [*range(2, 21, 2)], [*range(20, 0, -2)])
    assert numbers[:10] in one_side
    route = summary["route"]
    # About 9 gaps of 16.4 m along each side, and one crossing (22 m + the 20 m penalty).
    assert 330 < route["distance_m"] < 360
    assert route["minutes"] == round(route["distance_m"] / 75 + 20 * 2, 1)


async def test_a_list_is_found_by_the_number_printed_on_its_sheet(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, walk_list: dict
) -> None:
    """Data entry opens a sheet's list by its number; another campaign's same number is theirs."""
    number = walk_list["number"]
    found = await client.get(
        f"{API}/walk_lists", params={"number": number}, headers=camp.data_entry.headers
    )
    assert found.status_code == 200, found.text
    assert [w["id"] for w in found.json()["results"]] == [walk_list["id"]]
    elsewhere = await client.get(
        f"{API}/walk_lists", params={"number": number}, headers=other.admin.headers
    )
    assert elsewhere.json()["results"] == []
    malformed = await client.get(
        f"{API}/walk_lists", params={"number": "12; drop"}, headers=camp.data_entry.headers
    )
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == "query.number"
