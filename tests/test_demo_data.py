"""The real Cambridge data: precincts import cleanly, and point-in-polygon agrees with the
city's own ward_precinct column for the address points."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from app.config import Settings
from app.demo import campaign as demo
from app.demo import canvass as demo_canvass
from app.demo.canvass import TURF_PRECINCTS
from app.services.access.keys import attach_settings
from tests.builders import (
    ADDRESS_VOTER_COLUMNS,
    API,
    CampaignFixture,
    cambridge_addresses,
    import_cambridge_precincts,
    sql,
    upload_voters,
    voter_csv,
    voters_at,
)


async def test_the_demo_precincts_import_cleanly(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    response = await import_cambridge_precincts(client, camp.organizer.headers)
    assert response.json() == {"created": 33, "updated": 0, "rejected": []}


@pytest.fixture
async def located(
    client: AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> dict[str, str | None]:
    """The real precincts, and a voter at each of the city's address points, a door each (the
    city's list repeats some addresses at several points): the precinct code each voter was
    placed in, by voter id."""
    await import_cambridge_precincts(client, camp.organizer.headers)
    rows = voters_at(cambridge_addresses(), "A")
    job = await upload_voters(
        client, camp.organizer.headers, voter_csv(rows, ADDRESS_VOTER_COLUMNS)
    )
    assert job["status"] == "succeeded" and job["rejected"] == 0, job
    placed = await sql(
        connection,
        """SELECT pe.external_id, pr.code FROM person pe
           JOIN household h ON h.campaign_id = pe.campaign_id AND h.id = pe.household_id
           LEFT JOIN precinct pr ON pr.campaign_id = h.campaign_id AND pr.id = h.precinct_id
           WHERE pe.campaign_id = :c""",
        c=camp.id,
    )
    return dict(placed)


async def test_address_points_land_in_the_citys_own_precincts(
    located: dict[str, str | None],
) -> None:
    addresses = cambridge_addresses()
    expected = {f"A{i}": a["ward_precinct"] or None for i, a in enumerate(addresses)}
    agree = sum(1 for k, code in expected.items() if located[k] == code)
    assert agree / len(expected) >= 0.995, f"{agree} of {len(expected)}"


async def test_every_precinct_counts_the_doors_placed_in_it(
    client: AsyncClient, camp: CampaignFixture, located: dict[str, str | None]
) -> None:
    listed = await client.get(
        f"{API}/precincts", params={"limit": 100}, headers=camp.organizer.headers
    )
    results = listed.json()["results"]
    assert len(results) == 33
    assert all(p["person_count"] > 0 for p in results)
    placed = sum(1 for code in located.values() if code is not None)
    assert sum(p["household_count"] for p in results) == placed  # a door each
    assert sum(p["person_count"] for p in results) == placed


def test_demo_generator_is_deterministic() -> None:
    first = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv", limit=200)
    second = demo.voter_rows(demo.CAMBRIDGE / "addresses.csv", limit=200)
    assert first == second
    assert 200 <= len(first) <= 800
    assert len({r[0] for r in first}) == len(first)


async def test_demo_canvass_is_a_working_loop(
    client: AsyncClient,
    camp: CampaignFixture,
    owner_sessionmaker: async_sessionmaker[Any],
    settings: Settings,
) -> None:
    """The demo's survey, turfs, assigned lists and list code, on its real precincts."""
    await import_cambridge_precincts(client, camp.organizer.headers)
    chosen = cambridge_addresses(TURF_PRECINCTS)[:60]
    rows = voters_at(chosen, "D", door_each=False)
    await upload_voters(client, camp.organizer.headers, voter_csv(rows, ADDRESS_VOTER_COLUMNS))

    async with owner_sessionmaker() as session:
        attach_settings(session, settings)  # as the CLI does (the owner's role)
        loaded = await demo_canvass.load_canvass(session, camp.id)
        assert await demo_canvass.load_canvass(session, camp.id) is None  # only once
        first = await demo_canvass.fresh_list_code(session, camp.slug)
        live = await demo_canvass.fresh_list_code(session, camp.slug)  # the first is revoked
        assert first is not None and live is not None and first != live
        await session.commit()
    number, code = live
    stale = await client.post(f"{API}/auth/list_code", json={"code": first[1], "name": "Sam"})
    assert stale.status_code == 401
    assert loaded is not None and len(loaded["lists"]) == 3
    addresses = {(a["house_number"], a["street"]) for a in chosen}
    assert sum(doors for _, doors in loaded["lists"]) == len(addresses)

    mine = (await client.get(f"{API}/walk_lists", headers=camp.canvasser.headers)).json()
    assert [w["number"] for w in mine["results"]] == [loaded["lists"][0][0]]
    survey = (await client.get(f"{API}/surveys", headers=camp.organizer.headers)).json()
    assert [s["name"] for s in survey["results"]] == ["Cambridge door script"]
    token = await client.post(f"{API}/auth/list_code", json={"code": code, "name": "Sam"})
    assert token.status_code == 200
    assert number == loaded["lists"][2][0]
