"""POST /turfs/cut end to end on the demo precincts: cut, save, build a list; previews, filters,
bad input, roles and tenants."""

import csv
from typing import Any

from httpx import AsyncClient
from shapely.geometry import Point, shape

from app.demo import campaign as demo
from tests.conftest import CampaignFixture
from tests.helpers import API, square, upload_voters, voter_csv
from tests.test_surveys import doorstep_survey

PRECINCTS = ("1-2", "5-2")


async def cambridge(client: AsyncClient, camp: CampaignFixture) -> dict[str, Any]:
    """The real precincts, and one voter at each address point of two of them (R at every
    third door)."""
    headers = camp.organizer.headers
    collection = {"type": "FeatureCollection", "features": demo.precinct_features()}
    params = {"code_property": "WardPrecinct", "name_property": "name"}
    await client.post(f"{API}/precincts/import", json=collection, params=params, headers=headers)
    with (demo.CAMBRIDGE / "addresses.csv").open(newline="", encoding="utf-8") as f:
        chosen = [a for a in csv.DictReader(f) if a["ward_precinct"] in PRECINCTS]
    rows = [{"voter_id": f"C{i}", "first_name": "Pat", "last_name": f"Doe{i}", "unit": str(i),
             "party": "R" if i % 3 == 0 else "D",
             **{k: a[k] for k in ("house_number", "street", "city", "lon", "lat")}}
            for i, a in enumerate(chosen)]  # fmt: skip
    columns = ["voter_id", "first_name", "last_name", "party", "house_number", "street", "unit"]
    job = await upload_voters(client, headers, voter_csv(rows, [*columns, "city", "lon", "lat"]))
    assert job["rejected"] == 0
    listed = await client.get(f"{API}/precincts", params={"limit": 100}, headers=headers)
    ids = {p["code"]: p["id"] for p in listed.json()["results"]}
    return {"precincts": ids, "rows": rows}


async def test_cut_save_and_build_a_list(client: AsyncClient, camp: CampaignFixture) -> None:
    world = await cambridge(client, camp)
    headers = camp.organizer.headers
    body = {"area": {"precinct_ids": [world["precincts"]["5-2"]]}, "turf_count": 4,
            "name_prefix": "5-2 cut"}  # fmt: skip
    response = await client.post(f"{API}/turfs/cut", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result = response.json()
    metrics, turfs = result["metrics"], result["turfs"]
    precinct = await client.get(f"{API}/precincts/{world['precincts']['5-2']}", headers=headers)
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

    # Saved turfs are ordinary turfs: the same counts by cover, and lists build on them.
    for turf in turfs:
        saved = (await client.get(f"{API}/turfs/{turf['id']}", headers=headers)).json()
        assert saved["household_count"] == turf["door_count"]
        assert shape(saved["geometry"]).is_valid
    survey = (await client.post(f"{API}/surveys", json=doorstep_survey(), headers=headers)).json()
    walk_list = await client.post(f"{API}/walk_lists", headers=headers, json={
        "turf_id": turfs[0]["id"], "survey_id": survey["id"],
        "filters": {"not_contacted_days": 0, "include_volunteers": True}})  # fmt: skip
    assert walk_list.status_code == 201
    assert walk_list.json()["door_count"] == turfs[0]["door_count"]


async def test_previews_sizes_filters_and_other_areas(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    world = await cambridge(client, camp)
    headers = camp.organizer.headers
    area = {"precinct_ids": [world["precincts"]["1-2"]]}
    before = (await client.get(f"{API}/turfs", headers=headers)).json()["results"]
    by_size = {"area": area, "doors_per_turf": 30, "save": False}
    preview = await client.post(f"{API}/turfs/cut", json=by_size, headers=headers)
    assert preview.status_code == 200, preview.text
    result = preview.json()
    assert all(t["id"] is None for t in result["turfs"])
    assert result["metrics"]["turfs"] == round(result["metrics"]["doors"] / 30)
    assert (await client.get(f"{API}/turfs", headers=headers)).json()["results"] == before
    again = await client.post(f"{API}/turfs/cut", json=by_size, headers=headers)
    assert again.json() == result  # deterministic

    republicans = await client.post(f"{API}/turfs/cut", headers=headers, json={
        "area": area, "turf_count": 2, "save": False, "filters": {"parties": ["R"]}})  # fmt: skip
    counted = republicans.json()["metrics"]["doors"]
    assert counted < result["metrics"]["doors"] and counted > 0

    # A drawn polygon around a few doors, and a saved turf as the area.
    points = [Point(float(r["lon"]), float(r["lat"])) for r in world["rows"][:5]]
    hull = Point(points[0].x, points[0].y).buffer(0.0005)
    drawn = await client.post(f"{API}/turfs/cut", headers=headers, json={
        "area": {"geometry": hull.__geo_interface__}, "turf_count": 1, "save": False})  # fmt: skip
    assert drawn.status_code == 200 and drawn.json()["metrics"]["doors"] >= 1
    whole = {"name": "1-2", "precinct_ids": area["precinct_ids"]}
    turf = (await client.post(f"{API}/turfs", json=whole, headers=headers)).json()
    by_turf = await client.post(f"{API}/turfs/cut", headers=headers, json={
        "area": {"turf_id": turf["id"]}, "turf_count": 3, "save": False})  # fmt: skip
    assert by_turf.json()["metrics"]["doors"] == result["metrics"]["doors"]


async def test_bad_cuts_roles_and_tenants(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    world = await cambridge(client, camp)
    headers = camp.organizer.headers
    p12 = world["precincts"]["1-2"]
    empty = world["precincts"]["11-1"]  # no voters imported there
    bow_tie = {"type": "Polygon", "coordinates": [[[-71.1, 42.37], [-71.09, 42.38],
               [-71.09, 42.37], [-71.1, 42.38], [-71.1, 42.37]]]}  # fmt: skip
    cases: list[tuple[dict[str, Any], str]] = [
        ({"area": {"precinct_ids": [p12]}}, "body"),
        ({"area": {"precinct_ids": [p12]}, "turf_count": 2, "doors_per_turf": 9}, "body"),
        ({"area": {"precinct_ids": [p12]}, "turf_count": 0}, "body.turf_count"),
        ({"area": {"precinct_ids": [p12]}, "turf_count": 5000}, "body.turf_count"),
        ({"area": {"precinct_ids": [empty]}, "turf_count": 2}, "body.area"),
        ({"area": {"geometry": bow_tie}, "turf_count": 2}, "body.area.geometry"),
        ({"area": {"geometry": square(10.0, 10.0)}, "turf_count": 2}, "body.area"),
        ({"area": {}, "turf_count": 2}, "body.area"),
        ({"area": {"turf_id": 999999}, "turf_count": 2}, "body.area.turf_id"),
        ({"area": {"precinct_ids": [999999]}, "turf_count": 2}, "body.area.precinct_ids[0]"),
    ]
    for body, loc in cases:
        response = await client.post(f"{API}/turfs/cut", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["loc"] == loc, (body, response.json())

    body = {"area": {"precinct_ids": [p12]}, "turf_count": 2}
    for member in (camp.canvasser, camp.data_entry):
        assert (await client.post(f"{API}/turfs/cut", json=body,
                                  headers=member.headers)).status_code == 403  # fmt: skip
    foreign = await client.post(f"{API}/turfs/cut", json=body, headers=other.organizer.headers)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["loc"] == "body.area.precinct_ids[0]"
