"""Turfs from precincts or drawn polygons: counts by cover, validation, roles, tenancy."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import (
    API,
    CampaignFixture,
    create_turf,
    grid_precincts,
    import_precincts,
    precinct_ids,
    square,
    upload_voters,
    voter,
    voter_csv,
)


@pytest.fixture
async def precincts(client: AsyncClient, camp: CampaignFixture) -> dict[str, int]:
    """P1 and P2 (ids by code) with four voters: two at one door in P1, one in P2 and one on
    the line between them."""
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    rows = [
        voter("V1", lon="-71.095", lat="42.375"),  # P1
        voter("V2", lon="-71.095", lat="42.375", first_name="Bo"),  # P1, same door
        voter("V3", house_number="20", lon="-71.085", lat="42.375"),  # P2
        voter("V4", house_number="30", lon="-71.09", lat="42.371"),  # on the P1/P2 boundary
    ]
    await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    return await precinct_ids(client, camp.organizer.headers)


async def test_a_turf_of_precincts_counts_their_doors_and_people(
    client: AsyncClient, camp: CampaignFixture, precincts: dict[str, int]
) -> None:
    ids = [precincts["P1"], precincts["P2"], precincts["P1"]]
    both = await client.post(
        f"{API}/turfs", json={"name": "Both", "precinct_ids": ids}, headers=camp.organizer.headers
    )
    assert both.status_code == 201, both.text
    turf = both.json()
    assert turf["precinct_ids"] == [precincts["P1"], precincts["P2"]]  # each once
    assert (turf["household_count"], turf["person_count"]) == (3, 4)
    assert turf["geometry"]["type"] == "MultiPolygon"


async def test_a_turf_covers_its_boundary(
    client: AsyncClient, camp: CampaignFixture, precincts: dict[str, int]
) -> None:
    """The door on the line between P1 and P2 counts in a turf of either."""
    p1 = await create_turf(client, camp.organizer.headers, "P1", [precincts["P1"]])
    p2 = await create_turf(client, camp.organizer.headers, "P2", [precincts["P2"]])
    assert (p1["household_count"], p1["person_count"]) == (2, 3)
    assert (p2["household_count"], p2["person_count"]) == (2, 2)


async def test_a_drawn_turf_counts_the_doors_inside(
    client: AsyncClient, camp: CampaignFixture, precincts: dict[str, int]
) -> None:
    drawn = await client.post(
        f"{API}/turfs",
        json={"name": "Corner", "geometry": square(-71.096, 42.374, 0.002)},
        headers=camp.organizer.headers,
    )
    assert drawn.status_code == 201
    assert (drawn.json()["household_count"], drawn.json()["precinct_ids"]) == (1, [])


async def test_turfs_list_in_the_order_made_without_geometry_or_as_geojson(
    client: AsyncClient, camp: CampaignFixture, precincts: dict[str, int]
) -> None:
    headers = camp.organizer.headers
    await create_turf(client, headers, "Both", [precincts["P1"], precincts["P2"]])
    await create_turf(client, headers, "P1", [precincts["P1"]])
    corner = {"name": "Corner", "geometry": square(-71.096, 42.374, 0.002)}
    assert (await client.post(f"{API}/turfs", json=corner, headers=headers)).status_code == 201
    listed = (await client.get(f"{API}/turfs", headers=headers)).json()
    assert [t["name"] for t in listed["results"]] == ["Both", "P1", "Corner"]
    assert "geometry" not in listed["results"][0]
    geo = await client.get(
        f"{API}/turfs", params={"format": "geojson", "limit": 2}, headers=headers
    )
    assert geo.headers["content-type"] == "application/geo+json"
    assert len(geo.json()["features"]) == 2 and geo.json()["next"]
    assert geo.json()["features"][0]["properties"]["household_count"] == 3


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[-71.1, 42.3], [-71.0, 42.4], [-71.0, 42.3], [-71.1, 42.4], [-71.1, 42.3]]],
}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"name": "x"}, "body", id="neither precincts nor a drawing"),
        pytest.param(
            {"name": "x", "precinct_ids": ["P1"], "geometry": square(0, 0)},
            "body",
            id="both precincts and a drawing",
        ),
        pytest.param({"name": "x", "precinct_ids": []}, "body.precinct_ids", id="no precincts"),
        pytest.param(
            {"name": "x", "precinct_ids": [999999]}, "body.precinct_ids[0]", id="unknown precinct"
        ),
        pytest.param({"name": "x", "geometry": BOW_TIE}, "body.geometry", id="self-intersecting"),
        pytest.param(
            {"name": "x", "geometry": {"type": "Point", "coordinates": [0, 0]}},
            "body.geometry",
            id="a point",
        ),
        pytest.param({"name": "x", "geometry": square(190, 0)}, "body.geometry", id="off the map"),
        pytest.param({"name": "", "geometry": square(0, 0)}, "body.name", id="no name"),
    ],
)
async def test_an_invalid_turf_is_422_naming_the_field(
    client: AsyncClient,
    camp: CampaignFixture,
    precincts: dict[str, int],
    body: dict[str, Any],
    loc: str,
) -> None:
    if "precinct_ids" in body:  # precincts by code: their ids in this campaign
        body = body | {"precinct_ids": [precincts.get(p, p) for p in body["precinct_ids"]]}
    response = await client.post(f"{API}/turfs", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert loc in {e["loc"] for e in response.json()["errors"]}, response.json()


async def test_a_precinct_of_another_campaign_is_422(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, precincts: dict[str, int]
) -> None:
    foreign = await import_precincts(client, other.admin.headers, grid_precincts())
    assert foreign.status_code == 200
    foreign_id = (await precinct_ids(client, other.admin.headers))["P1"]
    body = {"name": "x", "precinct_ids": [precincts["P1"], foreign_id]}
    response = await client.post(f"{API}/turfs", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422
    assert "body.precinct_ids[1]" in {e["loc"] for e in response.json()["errors"]}


async def test_a_self_intersecting_drawing_says_where(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    body = {"name": "x", "geometry": BOW_TIE}
    response = await client.post(f"{API}/turfs", json=body, headers=camp.organizer.headers)
    assert "Self-intersection" in response.json()["detail"]


async def test_delete_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, precincts: dict[str, int]
) -> None:
    body = {"name": "T", "precinct_ids": [precincts["P1"]]}
    turf = await create_turf(client, camp.admin.headers, "T", [precincts["P1"]])
    url = f"{API}/turfs/{turf['id']}"
    for member in (camp.canvasser, camp.data_entry):
        made = await client.post(f"{API}/turfs", json=body, headers=member.headers)
        assert made.status_code == 403
        assert (await client.get(f"{API}/turfs", headers=member.headers)).status_code == 403
        assert (await client.delete(url, headers=member.headers)).status_code == 403
    assert (await client.get(url, headers=other.admin.headers)).status_code == 404
    assert (await client.delete(url, headers=other.admin.headers)).status_code == 404
    assert (await client.get(f"{API}/turfs", headers=other.admin.headers)).json()["results"] == []
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=camp.organizer.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 404
