"""Precinct import (GeoJSON, upsert by code, per-feature rejection), listing and detail."""

import json

from httpx import AsyncClient

from tests.conftest import CampaignFixture
from tests.helpers import API, grid_precincts, import_precincts, precinct_feature, square


async def test_import_creates_then_updates_by_code(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    first = await import_precincts(client, camp.organizer.headers, grid_precincts())
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 2, "updated": 0, "rejected": []}

    changed = grid_precincts()
    changed["features"][0]["properties"]["name"] = "Renamed"
    changed["features"].append(precinct_feature("P3", square(-71.08, 42.37)))
    second = await import_precincts(client, camp.organizer.headers, changed)
    assert second.json() == {"created": 1, "updated": 2, "rejected": []}

    listed = (await client.get(f"{API}/precincts", headers=camp.organizer.headers)).json()
    assert [(p["code"], p["name"]) for p in listed["results"]] == [
        ("P1", "Renamed"), ("P2", "P P2"), ("P3", "P P3"),
    ]  # fmt: skip
    assert all(p["household_count"] == 0 and p["person_count"] == 0 for p in listed["results"])


async def test_bad_features_are_rejected_by_index_and_the_rest_kept(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[-71.1, 42.3], [-71.0, 42.4], [-71.0, 42.3],
                                                 [-71.1, 42.4], [-71.1, 42.3]]]}  # fmt: skip
    flat = {"type": "Polygon", "coordinates": [[[-71.1, 42.3], [-71.0, 42.3], [-70.9, 42.3],
                                               [-71.1, 42.3]]]}  # fmt: skip
    features = [
        precinct_feature("OK", square(-71.1, 42.37)),
        precinct_feature("BOWTIE", bowtie),  # self-intersecting: repaired, still areal
        precinct_feature("FLAT", flat),  # collapses to a line: rejected
        precinct_feature("PT", {"type": "Point", "coordinates": [-71.1, 42.3]}),
        precinct_feature("FAR", square(-200.0, 42.3)),
        precinct_feature("LAT", square(-71.0, 95.0)),
        {"type": "Feature", "geometry": square(-71.0, 42.0), "properties": {"name": "no code"}},
        "not a feature",
        precinct_feature("OK", square(-71.2, 42.37)),  # duplicate code in the file
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
            "properties": {"code": "SHORT"},
        },
    ]
    response = await import_precincts(
        client, camp.organizer.headers, {"type": "FeatureCollection", "features": features}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    rejected = {r["index"]: r["message"] for r in body["rejected"]}
    assert set(rejected) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert "cannot be repaired" in rejected[2]
    assert "Point" in rejected[3]
    assert "longitude" in rejected[4] and "latitude" in rejected[5]
    assert "code" in rejected[6]
    assert "duplicate" in rejected[8]
    listed = (await client.get(f"{API}/precincts", headers=camp.organizer.headers)).json()
    bowtie_id = next(p["id"] for p in listed["results"] if p["code"] == "BOWTIE")
    detail = (
        await client.get(f"{API}/precincts/{bowtie_id}", headers=camp.organizer.headers)
    ).json()
    assert detail["geometry"]["type"] == "MultiPolygon"
    assert len(detail["geometry"]["coordinates"]) == 2  # the bow-tie's two triangles


async def test_body_must_be_a_feature_collection(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    headers = camp.organizer.headers
    for body in ({"type": "Feature", "features": []}, {"type": "FeatureCollection"}, [1, 2]):
        response = await import_precincts(client, headers, body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    malformed = await client.post(
        f"{API}/precincts/import",
        params={"code_property": "code"},
        content=b'{"type": "FeatureCollection", "features": [',
        headers={**headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["title"] == "Malformed JSON"
    no_code = await client.post(f"{API}/precincts/import", json=grid_precincts(), headers=headers)
    assert no_code.status_code == 422
    assert no_code.json()["errors"][0]["loc"] == "query.code_property"


async def test_list_as_geojson_and_paged(client: AsyncClient, camp: CampaignFixture) -> None:
    features = [precinct_feature(f"C{i}", square(-71.2 + i * 0.01, 42.3)) for i in range(5)]
    await import_precincts(
        client, camp.admin.headers, {"type": "FeatureCollection", "features": features}
    )
    page = await client.get(
        f"{API}/precincts", params={"format": "geojson", "limit": 2}, headers=camp.admin.headers
    )
    assert page.status_code == 200
    assert page.headers["content-type"] == "application/geo+json"
    collection = page.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2
    first = collection["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert set(first["properties"]) == {"id", "code", "name", "household_count", "person_count"}
    codes = [f["properties"]["code"] for f in collection["features"]]
    url = collection["next"]
    while url:
        more = (await client.get(url, headers=camp.admin.headers)).json()
        codes += [f["properties"]["code"] for f in more["features"]]
        url = more["next"]
    assert codes == ["C0", "C1", "C2", "C3", "C4"]
    by_accept = await client.get(
        f"{API}/precincts", headers={**camp.admin.headers, "Accept": "application/geo+json"}
    )
    assert by_accept.json()["type"] == "FeatureCollection"
    bad_cursor = await client.get(
        f"{API}/precincts", params={"cursor": "%%%"}, headers=camp.admin.headers
    )
    assert bad_cursor.status_code == 400
    too_many = await client.get(
        f"{API}/precincts", params={"limit": 501}, headers=camp.admin.headers
    )
    assert too_many.status_code == 422


async def test_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    await import_precincts(client, camp.admin.headers, grid_precincts())
    ids = [
        p["id"]
        for p in (await client.get(f"{API}/precincts", headers=camp.admin.headers)).json()[
            "results"
        ]
    ]
    for member in (camp.canvasser, camp.data_entry):
        assert (await import_precincts(client, member.headers, grid_precincts())).status_code == 403
        assert (await client.get(f"{API}/precincts", headers=member.headers)).status_code == 403
    assert (
        await client.get(f"{API}/precincts/{ids[0]}", headers=other.admin.headers)
    ).status_code == 404
    assert (await client.get(f"{API}/precincts", headers=other.admin.headers)).json()[
        "results"
    ] == []
    assert (
        await client.get(f"{API}/precincts/999999", headers=camp.admin.headers)
    ).status_code == 404
    # Re-importing the same codes in the other campaign creates its own precincts.
    again = await import_precincts(client, other.admin.headers, grid_precincts())
    assert again.json()["created"] == 2
    detail = (await client.get(f"{API}/precincts/{ids[0]}", headers=camp.admin.headers)).json()
    assert json.dumps(detail["geometry"]).startswith('{"type": "MultiPolygon"')
