"""Turfs from precincts or drawn polygons: counts by cover, validation, roles, tenancy."""

from httpx import AsyncClient

from tests.conftest import CampaignFixture
from tests.helpers import (
    API,
    grid_precincts,
    import_precincts,
    square,
    upload_voters,
    voter,
    voter_csv,
)


async def setup_area(client: AsyncClient, camp: CampaignFixture) -> dict[str, int]:
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    rows = [
        voter("V1", lon="-71.095", lat="42.375"),  # P1
        voter("V2", lon="-71.095", lat="42.375", first_name="Bo"),  # P1, same door
        voter("V3", house_number="20", lon="-71.085", lat="42.375"),  # P2
        voter("V4", house_number="30", lon="-71.09", lat="42.371"),  # on the P1/P2 boundary
    ]
    await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    listed = (await client.get(f"{API}/precincts", headers=camp.organizer.headers)).json()
    return {p["code"]: p["id"] for p in listed["results"]}


async def test_turf_from_precincts_and_from_a_drawing(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    precincts = await setup_area(client, camp)
    headers = camp.organizer.headers
    ids = [precincts["P1"], precincts["P2"], precincts["P1"]]
    both = await client.post(
        f"{API}/turfs", json={"name": "Both", "precinct_ids": ids}, headers=headers
    )
    assert both.status_code == 201, both.text
    turf = both.json()
    assert turf["precinct_ids"] == [precincts["P1"], precincts["P2"]]
    assert (turf["household_count"], turf["person_count"]) == (3, 4)
    assert turf["geometry"]["type"] == "MultiPolygon"

    one = (
        await client.post(
            f"{API}/turfs", json={"name": "P1", "precinct_ids": [precincts["P1"]]}, headers=headers
        )
    ).json()
    # The boundary point is covered by both precinct turfs (a turf covers its boundary).
    assert (one["household_count"], one["person_count"]) == (2, 3)

    drawn = await client.post(
        f"{API}/turfs",
        json={"name": "Corner", "geometry": square(-71.096, 42.374, 0.002)},
        headers=headers,
    )
    assert drawn.status_code == 201
    assert (drawn.json()["household_count"], drawn.json()["precinct_ids"]) == (1, [])

    listed = (await client.get(f"{API}/turfs", headers=headers)).json()
    assert [t["name"] for t in listed["results"]] == ["Both", "P1", "Corner"]
    assert "geometry" not in listed["results"][0]
    geo = await client.get(
        f"{API}/turfs", params={"format": "geojson", "limit": 2}, headers=headers
    )
    assert geo.headers["content-type"] == "application/geo+json"
    assert len(geo.json()["features"]) == 2 and geo.json()["next"]
    assert geo.json()["features"][0]["properties"]["household_count"] == 3


async def test_invalid_turfs(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    precincts = await setup_area(client, camp)
    foreign = await import_precincts(client, other.admin.headers, grid_precincts())
    assert foreign.status_code == 200
    foreign_id = (await client.get(f"{API}/precincts", headers=other.admin.headers)).json()[
        "results"
    ][0]["id"]
    bowtie = {"type": "Polygon", "coordinates": [[[-71.1, 42.3], [-71.0, 42.4], [-71.0, 42.3],
                                                 [-71.1, 42.4], [-71.1, 42.3]]]}  # fmt: skip
    cases = [
        ({"name": "x"}, "body"),
        ({"name": "x", "precinct_ids": [precincts["P1"]], "geometry": square(0, 0)}, "body"),
        ({"name": "x", "precinct_ids": []}, "body.precinct_ids"),
        ({"name": "x", "precinct_ids": [precincts["P1"], foreign_id]}, "body.precinct_ids[1]"),
        ({"name": "x", "precinct_ids": [999999]}, "body.precinct_ids[0]"),
        ({"name": "x", "geometry": bowtie}, "body.geometry"),
        ({"name": "x", "geometry": {"type": "Point", "coordinates": [0, 0]}}, "body.geometry"),
        ({"name": "x", "geometry": square(190, 0)}, "body.geometry"),
        ({"name": "", "geometry": square(0, 0)}, "body.name"),
    ]
    for body, loc in cases:
        response = await client.post(f"{API}/turfs", json=body, headers=camp.organizer.headers)
        assert response.status_code == 422, body
        assert loc in {e["loc"] for e in response.json()["errors"]}, (loc, response.json())
    detail = (
        await client.post(f"{API}/turfs", json=cases[5][0], headers=camp.organizer.headers)
    ).json()
    assert "Self-intersection" in detail["detail"]


async def test_delete_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    precincts = await setup_area(client, camp)
    body = {"name": "T", "precinct_ids": [precincts["P1"]]}
    turf = (await client.post(f"{API}/turfs", json=body, headers=camp.admin.headers)).json()
    url = f"{API}/turfs/{turf['id']}"
    for member in (camp.canvasser, camp.data_entry):
        assert (
            await client.post(f"{API}/turfs", json=body, headers=member.headers)
        ).status_code == 403
        assert (await client.get(f"{API}/turfs", headers=member.headers)).status_code == 403
        assert (await client.delete(url, headers=member.headers)).status_code == 403
    assert (await client.get(url, headers=other.admin.headers)).status_code == 404
    assert (await client.delete(url, headers=other.admin.headers)).status_code == 404
    assert (await client.get(f"{API}/turfs", headers=other.admin.headers)).json()["results"] == []
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=camp.organizer.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 404
