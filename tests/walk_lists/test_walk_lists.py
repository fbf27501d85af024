"""Walk lists: build (filters, exclusions, order, lines), phone payload, ETag, assignments."""

import itertools
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import CampaignFixture, sql
from tests.helpers import API, grid_precincts, import_precincts, upload_voters, voter, voter_csv
from tests.test_surveys import doorstep_survey

PAYLOAD_PERSON = {"id", "line", "first_name", "last_name", "age", "sex", "party", "support_level"}


async def build_world(client: AsyncClient, camp: CampaignFixture) -> dict[str, Any]:
    """Precinct P1 with ten people at six doors on two streets; a turf and a survey."""
    headers = camp.organizer.headers
    await import_precincts(client, headers, grid_precincts())
    rows = [
        voter("A1", first_name="Zed", last_name="Able", street="Oak St", house_number="3"),
        voter("A2", first_name="Amy", last_name="Able", street="Oak St", house_number="3"),
        voter("B1", first_name="Bea", last_name="Bell", street="Oak St", house_number="2"),
        voter("C1", first_name="Cal", last_name="Cole", street="Oak St", house_number="10"),
        voter("D1", first_name="Dot", last_name="Dunn", street="Elm St", house_number="5",
              party="R", sex="M", birth_date="1950-01-01"),
        voter("E1", first_name="Eve", last_name="Ewe", street="Elm St", house_number="7",
              unit="2"),
        voter("E2", first_name="Eli", last_name="Ewe", street="Elm St", house_number="7",
              unit="1"),
        voter("F1", first_name="Fay", last_name="Fox", street="Oak St", house_number="1",
              lon="-71.085"),  # in P2, outside the turf
        voter("G1", first_name="Gus", last_name="Gray", street="Oak St", house_number="4"),
        voter("H1", first_name="Hal", last_name="Hill", street="Oak St", house_number="6"),
    ]  # fmt: skip
    await upload_voters(client, headers, voter_csv(rows))
    precincts = (await client.get(f"{API}/precincts", headers=headers)).json()["results"]
    p1 = next(p["id"] for p in precincts if p["code"] == "P1")
    turf = (await client.post(f"{API}/turfs", json={"name": "P1 turf", "precinct_ids": [p1]},
                              headers=headers)).json()  # fmt: skip
    survey = (await client.post(f"{API}/surveys", json=doorstep_survey(), headers=headers)).json()
    people = (await client.get(f"{API}/people", params={"limit": 100}, headers=headers)).json()
    return {"turf": turf, "survey": survey,
            "people": {p["external_id"]: p for p in people["results"]}}  # fmt: skip


async def build(client: AsyncClient, camp: CampaignFixture, world: dict[str, Any], **filters: Any):  # type: ignore[no-untyped-def]
    body = {"turf_id": world["turf"]["id"], "survey_id": world["survey"]["id"], "filters": filters}
    return await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)


async def test_build_orders_doors_and_numbers_lines(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    world = await build_world(client, camp)
    created = await build(client, camp, world)
    assert created.status_code == 201, created.text
    summary = created.json()
    assert summary["name"] == "P1 turf" and summary["version"] == 1
    assert summary["number"] == f"{camp.id:04d}-0001"
    assert (summary["door_count"], summary["person_count"]) == (8, 9)

    payload = (
        await client.get(f"{API}/walk_lists/{summary['id']}", headers=camp.organizer.headers)
    ).json()
    assert payload["survey"]["id"] == world["survey"]["id"]
    assert [q["number"] for q in payload["survey"]["questions"]] == [1, 2, 3, 4, 5]
    assert set(payload["survey"]["questions"][0]["options"][0]) == {"id", "code", "label"}
    doors = [(s["seq"], s["address"], s["unit"]) for s in payload["stops"]]
    # Every door is at one point here: the route is free, ties keep street order (street, odd
    # side then even, number, unit), and a crossing of Oak St costs more than going to Elm St.
    assert doors == [
        (1, "3 Oak St", None), (2, "5 Elm St", None), (3, "7 Elm St", "1"),
        (4, "7 Elm St", "2"), (5, "2 Oak St", None), (6, "4 Oak St", None),
        (7, "6 Oak St", None), (8, "10 Oak St", None),
    ]  # fmt: skip
    lines = [(p["line"], p["first_name"]) for s in payload["stops"] for p in s["people"]]
    assert [n for n, _ in lines] == list(range(1, 10))
    assert lines[0:2] == [(1, "Amy"), (2, "Zed")]  # same door: by last then first name
    person = payload["stops"][1]["people"][0]
    assert set(person) == PAYLOAD_PERSON
    assert person["age"] is not None and person["party"] == "R"
    assert summary["route"] == payload["route"] == {"distance_m": 0.0, "minutes": 16.0}

    second = (await build(client, camp, world)).json()
    assert second["number"] == f"{camp.id:04d}-0002"


async def test_filters_and_exclusions(
    client: AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    world = await build_world(client, camp)
    ids = {k: v["id"] for k, v in world["people"].items()}
    await sql(connection, "UPDATE person SET deceased = true WHERE id = :i", i=ids["A1"])
    await sql(connection, "UPDATE person SET moved = true WHERE id = :i", i=ids["A2"])
    await sql(connection, "UPDATE person SET do_not_contact = true WHERE id = :i", i=ids["B1"])
    await sql(connection, "UPDATE person SET is_volunteer = true WHERE id = :i", i=ids["C1"])
    await sql(
        connection,
        "UPDATE person SET last_contacted_at = now() - interval '3 days' WHERE id = :i",
        i=ids["G1"],
    )
    await sql(
        connection,
        "UPDATE person SET support_level = 2, tags = '{walker}' WHERE id = :i",
        i=ids["H1"],
    )
    await sql(connection, "UPDATE household SET wrong_address = true WHERE id = :h",
              h=world["people"]["E1"]["household"]["id"])  # fmt: skip

    async def names(**filters: Any) -> set[str]:
        created = await build(client, camp, world, **filters)
        assert created.status_code == 201, created.text
        payload = (
            await client.get(f"{API}/walk_lists/{created.json()['id']}", headers=camp.admin.headers)
        ).json()
        return {p["first_name"] for s in payload["stops"] for p in s["people"]}

    assert await names() == {"Dot", "Eli", "Hal"}
    assert await names(include_volunteers=True) == {"Cal", "Dot", "Eli", "Hal"}
    assert await names(not_contacted_days=0) == {"Dot", "Eli", "Gus", "Hal"}
    assert await names(not_contacted_days=2) == {"Dot", "Eli", "Gus", "Hal"}
    assert await names(support_levels=[2]) == {"Hal"}
    assert await names(support_levels=["unknown"]) == {"Dot", "Eli"}
    assert await names(parties=["r"]) == {"Dot"}
    assert await names(sexes=["M"]) == {"Dot"}
    assert await names(age_min=70) == {"Dot"}
    assert await names(age_max=60) == {"Eli", "Hal"}
    assert await names(tags_any=["walker"]) == {"Hal"}
    assert await names(tags_none=["walker"]) == {"Dot", "Eli"}


async def test_bad_requests(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    world = await build_world(client, camp)
    foreign_survey = (
        await client.post(f"{API}/surveys", json=doorstep_survey(), headers=other.admin.headers)
    ).json()
    cases = [
        ({"turf_id": 999999, "survey_id": world["survey"]["id"]}, "body.turf_id"),
        ({"turf_id": world["turf"]["id"], "survey_id": foreign_survey["id"]}, "body.survey_id"),
        ({"turf_id": world["turf"]["id"], "survey_id": world["survey"]["id"],
          "filters": {"support_levels": [7]}}, "body.filters.support_levels[0]"),
        ({"turf_id": world["turf"]["id"], "survey_id": world["survey"]["id"],
          "filters": {"age_min": 50, "age_max": 20}}, "body.filters"),
        ({"turf_id": world["turf"]["id"], "survey_id": world["survey"]["id"],
          "filters": {"colour": "red"}}, "body.filters.colour"),
    ]  # fmt: skip
    for body, loc in cases:
        response = await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)
        assert response.status_code == 422, body
        assert any(e["loc"].startswith(loc) for e in response.json()["errors"]), response.json()


async def test_etag_gzip_and_turf_in_use(client: AsyncClient, camp: CampaignFixture) -> None:
    world = await build_world(client, camp)
    walk_list = (await build(client, camp, world)).json()
    url = f"{API}/walk_lists/{walk_list['id']}"
    first = await client.get(url, headers={**camp.organizer.headers, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    etag = first.headers["etag"]
    cached = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    # The payload shows live support levels: a change makes a new ETag.
    person_id = first.json()["stops"][0]["people"][0]["id"]
    await client.patch(
        f"{API}/people/{person_id}", json={"support_level": 1}, headers=camp.organizer.headers
    )
    changed = await client.get(url, headers={**camp.organizer.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    in_use = await client.delete(
        f"{API}/turfs/{world['turf']['id']}", headers=camp.organizer.headers
    )
    assert in_use.status_code == 409


async def test_assignments_scope_canvassers(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    world = await build_world(client, camp)
    walk_list = (await build(client, camp, world)).json()
    url = f"{API}/walk_lists/{walk_list['id']}"
    headers = camp.organizer.headers
    canvasser = camp.canvasser
    assert (await client.get(url, headers=canvasser.headers)).status_code == 404
    assert (await client.get(f"{API}/walk_lists", headers=canvasser.headers)).json()[
        "results"
    ] == []

    user_ids = [canvasser.id, camp.data_entry.id, other.canvasser.id]
    bad = await client.post(f"{url}/assignments", json={"user_ids": user_ids}, headers=headers)
    assert bad.status_code == 422
    assert {e["loc"] for e in bad.json()["errors"]} == {"body.user_ids[1]", "body.user_ids[2]"}
    ok = await client.post(
        f"{url}/assignments", json={"user_ids": [canvasser.id, canvasser.id]}, headers=headers
    )
    assert ok.json() == {"walk_list_id": walk_list["id"], "user_ids": [canvasser.id]}
    again = await client.post(
        f"{url}/assignments", json={"user_ids": [canvasser.id]}, headers=headers
    )
    assert again.status_code == 200

    payload = (await client.get(url, headers=canvasser.headers)).json()
    assert all(set(p) == PAYLOAD_PERSON for s in payload["stops"] for p in s["people"])
    listed = (await client.get(f"{API}/walk_lists", headers=canvasser.headers)).json()["results"]
    assert [w["id"] for w in listed] == [walk_list["id"]]
    assert (await client.get(url, headers=camp.data_entry.headers)).status_code == 200
    assert (
        await client.post(f"{API}/walk_lists", json={}, headers=canvasser.headers)
    ).status_code == 403
    assert (await client.post(f"{url}/assignments", json={"user_ids": [canvasser.id]},
                              headers=canvasser.headers)).status_code == 403  # fmt: skip

    assert (
        await client.delete(f"{url}/assignments/{canvasser.id}", headers=headers)
    ).status_code == 204
    assert (
        await client.delete(f"{url}/assignments/{canvasser.id}", headers=headers)
    ).status_code == 404
    assert (await client.get(url, headers=canvasser.headers)).status_code == 404

    foreign = other.admin.headers
    assert (await client.get(url, headers=foreign)).status_code == 404
    assert (await client.post(f"{url}/assignments", json={"user_ids": [other.canvasser.id]},
                              headers=foreign)).status_code == 404  # fmt: skip
    assert (await client.get(f"{API}/walk_lists", headers=foreign)).json()["results"] == []


async def test_lists_follow_a_walking_route(client: AsyncClient, camp: CampaignFixture) -> None:
    """One block of Oak St, odd numbers on the north side, even on the south, 16 m apart: the
    route walks one side, crosses once, and comes back on the other."""
    headers = camp.organizer.headers
    await import_precincts(client, headers, grid_precincts())
    rows = [
        voter(f"N{n}", last_name=f"North{n}", street="Oak St", house_number=str(n),
              lon=f"{-71.099 + n * 0.0001:.6f}", lat="42.37515" if n % 2 else "42.37495")
        for n in range(1, 21)
    ]  # fmt: skip
    await upload_voters(client, headers, voter_csv(rows))
    precinct = (await client.get(f"{API}/precincts", headers=headers)).json()["results"][0]
    turf = (await client.post(f"{API}/turfs", json={"name": "Oak",
            "precinct_ids": [precinct["id"]]}, headers=headers)).json()  # fmt: skip
    survey = (await client.post(f"{API}/surveys", json=doorstep_survey(), headers=headers)).json()
    body = {"turf_id": turf["id"], "survey_id": survey["id"]}
    summary = (await client.post(f"{API}/walk_lists", json=body, headers=headers)).json()
    payload = (await client.get(f"{API}/walk_lists/{summary['id']}", headers=headers)).json()
    numbers = [int(s["address"].split()[0]) for s in payload["stops"]]
    assert sorted(numbers) == list(range(1, 21))
    sides = [n % 2 for n in numbers]
    assert sum(a != b for a, b in itertools.pairwise(sides)) == 1  # one crossing
    assert numbers[:10] in ([*range(1, 20, 2)], [*range(19, 0, -2)],
                            [*range(2, 21, 2)], [*range(20, 0, -2)])  # fmt: skip
    route = summary["route"]
    # About 9 gaps of 16.4 m along each side, and one crossing (22 m + the 20 m penalty).
    assert 330 < route["distance_m"] < 360
    assert route["minutes"] == round(route["distance_m"] / 75 + 20 * 2, 1)
