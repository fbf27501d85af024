"""Precinct import (GeoJSON, upsert by code, per-feature rejection), listing and detail."""

import json
from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import (
    API,
    CampaignFixture,
    grid_precincts,
    import_precincts,
    precinct_feature,
    precinct_ids,
    square,
)


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
    names = [(p["code"], p["name"]) for p in listed["results"]]
    assert names == [("P1", "Renamed"), ("P2", "P P2"), ("P3", "P P3")]
    assert all(p["household_count"] == 0 and p["person_count"] == 0 for p in listed["results"])


def polygon(*points: tuple[float, float]) -> dict[str, Any]:
    """A GeoJSON polygon through these points (closed here)."""
    return {"type": "Polygon", "coordinates": [[*map(list, points), list(points[0])]]}


BOW_TIE = polygon((-71.1, 42.3), (-71.0, 42.4), (-71.0, 42.3), (-71.1, 42.4))
GOOD = precinct_feature("OK", square(-71.1, 42.37))


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        pytest.param(
            precinct_feature("FLAT", polygon((-71.1, 42.3), (-71.0, 42.3), (-70.9, 42.3))),
            "cannot be repaired",
            id="collapses to a line",
        ),
        pytest.param(
            precinct_feature("PT", {"type": "Point", "coordinates": [-71.1, 42.3]}),
            "Point",
            id="a point",
        ),
        pytest.param(
            precinct_feature("FAR", square(-200.0, 42.3)), "longitude", id="longitude out of range"
        ),
        pytest.param(
            precinct_feature("LAT", square(-71.0, 95.0)), "latitude", id="latitude out of range"
        ),
        pytest.param(
            {"type": "Feature", "geometry": square(-71.0, 42.0), "properties": {"name": "no code"}},
            "code",
            id="no code",
        ),
        pytest.param("not a feature", "Feature", id="not a feature"),
        pytest.param(
            precinct_feature("OK", square(-71.2, 42.37)), "duplicate", id="a code twice in the file"
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
                "properties": {"code": "SHORT"},
            },
            "at least 4 items",
            id="a ring of two points",
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0.5]]],
                },
                "properties": {"code": "BAD"},
            },
            "must end where it starts",
            id="a ring not closed",
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[["0", "0"], ["1", "0"], ["1", "1"], ["0", "0"]]],
                },
                "properties": {"code": "BAD"},
            },
            "numbers",
            id="positions as strings",
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]],
                },
                "properties": {"code": "BAD"},
            },
            "3D",
            id="3D positions",
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 0, 2], [1, 1], [0, 0]]],
                },
                "properties": {"code": "BAD"},
            },
            "longitude, latitude",
            id="positions of mixed lengths",
        ),
        pytest.param(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": []},
                "properties": {"code": "BAD"},
            },
            "non-empty",
            id="no rings",
        ),
    ],
)
async def test_a_bad_feature_is_rejected_by_its_index_and_the_rest_kept(
    client: AsyncClient, camp: CampaignFixture, feature: Any, message: str
) -> None:
    collection = {"type": "FeatureCollection", "features": [GOOD, feature]}
    response = await import_precincts(client, camp.organizer.headers, collection)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 1
    [rejected] = body["rejected"]
    assert rejected["index"] == 1 and message in rejected["message"], rejected


async def test_a_self_intersecting_precinct_is_repaired_into_its_pieces(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    collection = {"type": "FeatureCollection", "features": [precinct_feature("BOWTIE", BOW_TIE)]}
    response = await import_precincts(client, camp.organizer.headers, collection)
    assert response.json() == {"created": 1, "updated": 0, "rejected": []}
    bow_tie = (await precinct_ids(client, camp.organizer.headers))["BOWTIE"]
    detail = await client.get(f"{API}/precincts/{bow_tie}", headers=camp.organizer.headers)
    assert detail.json()["geometry"]["type"] == "MultiPolygon"
    assert len(detail.json()["geometry"]["coordinates"]) == 2  # the bow-tie's two triangles


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"type": "Feature", "features": []}, id="a Feature"),
        pytest.param({"type": "FeatureCollection"}, id="no features"),
        pytest.param([1, 2], id="a list"),
    ],
)
async def test_the_body_must_be_a_feature_collection(
    client: AsyncClient, camp: CampaignFixture, body: Any
) -> None:
    response = await import_precincts(client, camp.organizer.headers, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_json_is_400(client: AsyncClient, camp: CampaignFixture) -> None:
    malformed = await client.post(
        f"{API}/precincts/import",
        params={"code_property": "code"},
        content=b'{"type": "FeatureCollection", "features": [',
        headers={**camp.organizer.headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["title"] == "Malformed JSON"


async def test_the_code_property_must_be_named(client: AsyncClient, camp: CampaignFixture) -> None:
    no_code = await client.post(
        f"{API}/precincts/import", json=grid_precincts(), headers=camp.organizer.headers
    )
    assert no_code.status_code == 422
    assert no_code.json()["errors"][0]["loc"] == "query.code_property"


@pytest.fixture
async def five_precincts(client: AsyncClient, camp: CampaignFixture) -> None:
    """Precincts C0 to C4, west to east."""
    features = [precinct_feature(f"C{i}", square(-71.2 + i * 0.01, 42.3)) for i in range(5)]
    collection = {"type": "FeatureCollection", "features": features}
    response = await import_precincts(client, camp.admin.headers, collection)
    assert response.json()["created"] == 5


async def test_precincts_list_as_geojson_features(
    client: AsyncClient, camp: CampaignFixture, five_precincts: None
) -> None:
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


async def test_geojson_pages_follow_next_to_the_end(
    client: AsyncClient, camp: CampaignFixture, five_precincts: None
) -> None:
    url: str | None = f"{API}/precincts?format=geojson&limit=2"
    codes = []
    while url:
        page = (await client.get(url, headers=camp.admin.headers)).json()
        codes += [f["properties"]["code"] for f in page["features"]]
        url = page["next"]
    assert codes == ["C0", "C1", "C2", "C3", "C4"]


async def test_geojson_by_the_accept_header(
    client: AsyncClient, camp: CampaignFixture, five_precincts: None
) -> None:
    by_accept = await client.get(
        f"{API}/precincts", headers={**camp.admin.headers, "Accept": "application/geo+json"}
    )
    assert by_accept.json()["type"] == "FeatureCollection"


async def test_a_bad_cursor_is_400_and_too_big_a_page_is_422(
    client: AsyncClient, camp: CampaignFixture
) -> None:
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
    p1 = (await precinct_ids(client, camp.admin.headers))["P1"]
    for member in (camp.canvasser, camp.data_entry):
        assert (await import_precincts(client, member.headers, grid_precincts())).status_code == 403
        assert (await client.get(f"{API}/precincts", headers=member.headers)).status_code == 403
    foreign = other.admin.headers
    assert (await client.get(f"{API}/precincts/{p1}", headers=foreign)).status_code == 404
    assert (await client.get(f"{API}/precincts", headers=foreign)).json()["results"] == []
    unknown = await client.get(f"{API}/precincts/999999", headers=camp.admin.headers)
    assert unknown.status_code == 404
    # Re-importing the same codes in the other campaign creates its own precincts.
    again = await import_precincts(client, foreign, grid_precincts())
    assert again.json()["created"] == 2
    detail = (await client.get(f"{API}/precincts/{p1}", headers=camp.admin.headers)).json()
    assert json.dumps(detail["geometry"]).startswith('{"type": "MultiPolygon"')
