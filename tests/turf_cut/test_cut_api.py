"""POST /turfs/cut end to end on the demo precincts: cut, save, build a list; previews, filters,
bad input, roles and tenants."""

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from shapely.geometry import Point, shape

from tests.builders import (
    ADDRESS_VOTER_COLUMNS,
    API,
    CampaignFixture,
    cambridge_addresses,
    create_survey,
    create_turf,
    import_cambridge_precincts,
    precinct_ids,
    square,
    upload_voters,
    voter_csv,
    voters_at,
)


@dataclass
class Cambridge:
    """The real precincts, and one voter at each address point of 1-2 and 5-2."""

    precincts: dict[str, int]  # id by code
    rows: list[dict[str, Any]]  # the voter file


@pytest.fixture
async def cambridge(client: AsyncClient, camp: CampaignFixture) -> Cambridge:
    """The real precincts, and one voter at each address point of 1-2 and 5-2 (a Republican at
    every third door, Democrats at the others)."""
    headers = camp.organizer.headers
    await import_cambridge_precincts(client, headers)
    rows = voters_at(cambridge_addresses({"1-2", "5-2"}), "C")
    for i, row in enumerate(rows):
        row["party"] = "R" if i % 3 == 0 else "D"
    job = await upload_voters(client, headers, voter_csv(rows, [*ADDRESS_VOTER_COLUMNS, "party"]))
    assert job["rejected"] == 0
    return Cambridge(await precinct_ids(client, headers), rows)


async def cut(client: AsyncClient, camp: CampaignFixture, **body: Any) -> dict[str, Any]:
    """A cut by the organizer that worked: 201 when saved, 200 for a preview."""
    response = await client.post(f"{API}/turfs/cut", json=body, headers=camp.organizer.headers)
    assert response.status_code == (201 if body.get("save", True) else 200), response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def four_turfs(client: AsyncClient, camp: CampaignFixture, cambridge: Cambridge) -> dict:
    """Precinct 5-2 cut into four saved turfs: the cut's result."""
    area = {"precinct_ids": [cambridge.precincts["5-2"]]}
    return await cut(client, camp, area=area, turf_count=4, name_prefix="5-2 cut")


async def test_a_cut_splits_every_door_of_the_area_into_balanced_compact_turfs(
    client: AsyncClient, camp: CampaignFixture, cambridge: Cambridge, four_turfs: dict
) -> None:
    metrics, turfs = four_turfs["metrics"], four_turfs["turfs"]
    precinct = await client.get(
        f"{API}/precincts/{cambridge.precincts['5-2']}", headers=camp.organizer.headers
    )
    doors = precinct.json()["household_count"]
    assert metrics["doors"] == doors
    assert metrics["turfs"] == 4 and len(turfs) == 4
    assert metrics["unassigned_doors"] == 0 and metrics["overlap_m2"] < 1
    assert sum(t["door_count"] for t in turfs) == doors
    assert metrics["max_doors"] - metrics["min_doors"] <= 2 and metrics["imbalance"] <= 1.1
    assert [t["name"] for t in turfs] == ["5-2 cut 1", "5-2 cut 2", "5-2 cut 3", "5-2 cut 4"]
    assert all(t["walk_m"] > 0 for t in turfs) and metrics["total_walk_m"] > 0
    assert metrics["noncontiguous_turfs"] == 0 and metrics["building_turfs"] == 0
    assert all(t["geometry"]["type"] == "Polygon" for t in turfs)


async def test_saved_turfs_are_ordinary_turfs_with_the_same_doors(
    client: AsyncClient, camp: CampaignFixture, four_turfs: dict
) -> None:
    """Counted by cover, as any turf is."""
    for turf in four_turfs["turfs"]:
        saved = await client.get(f"{API}/turfs/{turf['id']}", headers=camp.organizer.headers)
        assert saved.json()["household_count"] == turf["door_count"]
        assert shape(saved.json()["geometry"]).is_valid


async def test_a_list_builds_on_a_cut_turf(
    client: AsyncClient, camp: CampaignFixture, four_turfs: dict
) -> None:
    headers = camp.organizer.headers
    first = four_turfs["turfs"][0]
    survey = await create_survey(client, headers)
    body = {
        "turf_id": first["id"],
        "survey_id": survey["id"],
        "filters": {"not_contacted_days": 0, "include_volunteers": True},
    }
    walk_list = await client.post(f"{API}/walk_lists", json=body, headers=headers)
    assert walk_list.status_code == 201
    assert walk_list.json()["door_count"] == first["door_count"]


@pytest.fixture
def area_1_2(cambridge: Cambridge) -> dict[str, Any]:
    return {"precinct_ids": [cambridge.precincts["1-2"]]}


async def test_a_preview_sized_by_doors_saves_nothing_and_is_deterministic(
    client: AsyncClient, camp: CampaignFixture, area_1_2: dict
) -> None:
    headers = camp.organizer.headers
    before = (await client.get(f"{API}/turfs", headers=headers)).json()["results"]
    preview = await cut(client, camp, area=area_1_2, doors_per_turf=30, save=False)
    assert all(t["id"] is None for t in preview["turfs"])
    assert preview["metrics"]["turfs"] == round(preview["metrics"]["doors"] / 30)
    assert (await client.get(f"{API}/turfs", headers=headers)).json()["results"] == before
    assert await cut(client, camp, area=area_1_2, doors_per_turf=30, save=False) == preview


async def test_filters_count_only_the_doors_of_people_chosen(
    client: AsyncClient, camp: CampaignFixture, area_1_2: dict
) -> None:
    everyone = await cut(client, camp, area=area_1_2, turf_count=2, save=False)
    republicans = await cut(
        client, camp, area=area_1_2, turf_count=2, save=False, filters={"parties": ["R"]}
    )
    counted = republicans["metrics"]["doors"]
    assert 0 < counted < everyone["metrics"]["doors"]


async def test_a_drawn_polygon_is_an_area(
    client: AsyncClient, camp: CampaignFixture, cambridge: Cambridge
) -> None:
    """A small circle around one door."""
    row = cambridge.rows[0]
    circle = Point(float(row["lon"]), float(row["lat"])).buffer(0.0005)
    drawn = await cut(
        client, camp, area={"geometry": circle.__geo_interface__}, turf_count=1, save=False
    )
    assert drawn["metrics"]["doors"] >= 1


async def test_a_saved_turf_is_an_area(
    client: AsyncClient, camp: CampaignFixture, area_1_2: dict
) -> None:
    whole = await create_turf(client, camp.organizer.headers, "1-2", area_1_2["precinct_ids"])
    by_precinct = await cut(client, camp, area=area_1_2, turf_count=3, save=False)
    by_turf = await cut(client, camp, area={"turf_id": whole["id"]}, turf_count=3, save=False)
    assert by_turf["metrics"]["doors"] == by_precinct["metrics"]["doors"]


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[-71.1, 42.37], [-71.09, 42.38], [-71.09, 42.37], [-71.1, 42.38], [-71.1, 42.37]]
    ],
}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"area": {"precinct_ids": ["1-2"]}}, "body", id="neither a count nor a size"),
        pytest.param(
            {"area": {"precinct_ids": ["1-2"]}, "turf_count": 2, "doors_per_turf": 9},
            "body",
            id="both a count and a size",
        ),
        pytest.param(
            {"area": {"precinct_ids": ["1-2"]}, "turf_count": 0}, "body.turf_count", id="no turfs"
        ),
        pytest.param(
            {"area": {"precinct_ids": ["1-2"]}, "turf_count": 5000},
            "body.turf_count",
            id="more turfs than doors",
        ),
        pytest.param(
            {"area": {"precinct_ids": ["11-1"]}, "turf_count": 2},
            "body.area",
            id="a precinct with no voters",
        ),
        pytest.param(
            {"area": {"geometry": BOW_TIE}, "turf_count": 2},
            "body.area.geometry",
            id="a self-intersecting polygon",
        ),
        pytest.param(
            {"area": {"geometry": square(10.0, 10.0)}, "turf_count": 2},
            "body.area",
            id="a polygon with no doors",
        ),
        pytest.param({"area": {}, "turf_count": 2}, "body.area", id="no area"),
        pytest.param(
            {"area": {"turf_id": 999999}, "turf_count": 2},
            "body.area.turf_id",
            id="unknown turf",
        ),
        pytest.param(
            {"area": {"precinct_ids": [999999]}, "turf_count": 2},
            "body.area.precinct_ids[0]",
            id="unknown precinct",
        ),
    ],
)
async def test_a_bad_cut_is_422_naming_the_field(
    client: AsyncClient, camp: CampaignFixture, cambridge: Cambridge, body: dict, loc: str
) -> None:
    area = body["area"]
    if "precinct_ids" in area:  # precincts by code: their ids in this campaign
        ids = [cambridge.precincts.get(p, p) for p in area["precinct_ids"]]
        body = body | {"area": {"precinct_ids": ids}}
    response = await client.post(f"{API}/turfs/cut", json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc, response.json()


async def test_only_staff_of_the_campaign_cut(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, area_1_2: dict
) -> None:
    body = {"area": area_1_2, "turf_count": 2}
    for member in (camp.canvasser, camp.data_entry):
        response = await client.post(f"{API}/turfs/cut", json=body, headers=member.headers)
        assert response.status_code == 403
    foreign = await client.post(f"{API}/turfs/cut", json=body, headers=other.organizer.headers)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["loc"] == "body.area.precinct_ids[0]"
