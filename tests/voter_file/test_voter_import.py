"""Voter-file import through the API: jobs, households, precincts, upserts, bad rows."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from app.config import Settings
from app.main import create_app
from tests.builders import (
    API,
    CampaignFixture,
    grid_precincts,
    import_precincts,
    sql,
    upload_voters,
    voter,
    voter_csv,
)


async def people(client: AsyncClient, headers: dict[str, str], **params: str | int) -> list[dict]:
    response = await client.get(f"{API}/people", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


@pytest.fixture
async def six_voters(client: AsyncClient, camp: CampaignFixture) -> dict:
    """P1 and P2, then a file of six voters: three at one door of Main Street in P1 written
    three ways (one without a point), two at one flat on Elm Avenue in P2, one outside both.
    The finished job."""
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    main_street, elm_avenue = (
        {"lon": "-71.095", "lat": "42.375"},
        {"lon": "-71.085", "lat": "42.375"},
    )
    rows = [
        voter("V1", first_name="Ann", street="Main Street", **main_street),
        voter("V2", first_name="Bob", street="MAIN ST", city="CAMBRIDGE", **main_street),
        voter("V3", first_name="Cy", street="main st.", zip="02139-4411", lon="", lat=""),
        voter("V4", first_name="Di", street="Elm Avenue", unit="Apt 2B", **elm_avenue),
        voter("V5", first_name="Ed", street="Elm Ave", unit="#2b", **elm_avenue),
        voter("V6", first_name="Flo", street="Far Rd", lon="-70.5", lat="41.0"),  # outside all
    ]
    return await upload_voters(client, camp.organizer.headers, voter_csv(rows))


async def test_an_import_job_reports_what_it_read(six_voters: dict) -> None:
    job = six_voters
    assert job["status"] == "succeeded", job
    assert job["kind"] == "voters" and job["filename"] == "voters.csv"
    assert (job["rows_read"], job["created"], job["updated"], job["rejected"]) == (6, 6, 0, 0)
    assert job["without_precinct"] == 1 and job["errors"] == []


async def test_addresses_written_differently_are_one_door(
    client: AsyncClient, camp: CampaignFixture, six_voters: dict
) -> None:
    found = {p["external_id"]: p for p in await people(client, camp.organizer.headers)}
    main = {found[v]["household"]["id"] for v in ("V1", "V2", "V3")}
    elm = {found[v]["household"]["id"] for v in ("V4", "V5")}
    assert len(main) == 1 and len(elm) == 1 and main != elm
    # The door keeps the point given by its first line that has one.
    assert found["V3"]["household"]["lon"] == -71.095


async def test_doors_are_placed_in_the_precinct_around_them(
    client: AsyncClient, camp: CampaignFixture, six_voters: dict
) -> None:
    found = {p["external_id"]: p for p in await people(client, camp.organizer.headers)}
    listed = await client.get(f"{API}/precincts", headers=camp.organizer.headers)
    precincts = {p["code"]: p for p in listed.json()["results"]}
    assert found["V1"]["precinct_id"] == precincts["P1"]["id"]
    assert found["V4"]["precinct_id"] == precincts["P2"]["id"]
    assert found["V6"]["precinct_id"] is None
    assert (precincts["P1"]["household_count"], precincts["P1"]["person_count"]) == (1, 3)
    assert (precincts["P2"]["household_count"], precincts["P2"]["person_count"]) == (1, 2)


async def test_reimport_is_an_upsert_and_moves_people(
    client: AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    rows = [voter("V1"), voter("V2", first_name="Bob"), voter("V3", house_number="14")]
    content = voter_csv(rows)
    first = await upload_voters(client, camp.organizer.headers, content)
    again = await upload_voters(client, camp.organizer.headers, content)
    assert (first["created"], first["updated"]) == (3, 0)
    assert (again["rows_read"], again["created"], again["updated"]) == (3, 0, 0)
    count = await sql(connection, "SELECT count(*) FROM person WHERE campaign_id = :c", c=camp.id)
    assert count[0][0] == 3

    rows[1] = voter("V2", first_name="Bob", house_number="14", last_name="Lee-Moore")
    moved = await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    assert (moved["created"], moved["updated"]) == (0, 1)
    found = {p["external_id"]: p for p in await people(client, camp.organizer.headers)}
    assert found["V2"]["household"]["id"] == found["V3"]["household"]["id"]
    assert found["V2"]["household"]["id"] != found["V1"]["household"]["id"]
    assert found["V2"]["last_name"] == "Lee-Moore"


async def test_reimport_keeps_canvass_data_and_columns_the_file_lacks(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    columns = ["voter_id", "first_name", "last_name", "house_number", "street", "phone", "shirt"]
    first = voter_csv([voter("V1", phone="617-555-0101", shirt="L")], columns)
    await upload_voters(client, camp.organizer.headers, first)
    person = (await people(client, camp.organizer.headers))[0]
    assert person["custom_fields"] == {"shirt": "L"}
    patched = await client.patch(
        f"{API}/people/{person['id']}",
        json={"support_level": 2, "custom_fields": {"top_issue": "housing"}},
        headers=camp.organizer.headers,
    )
    assert patched.status_code == 200
    slim = ["voter_id", "first_name", "last_name", "house_number", "street", "shirt"]
    await upload_voters(client, camp.organizer.headers, voter_csv([voter("V1", shirt="XL")], slim))
    person = (await people(client, camp.organizer.headers))[0]
    assert person["phone"] == "617-555-0101"  # not in the file: left alone
    assert person["support_level"] == 2
    assert person["custom_fields"] == {"shirt": "XL", "top_issue": "housing"}


@pytest.mark.parametrize(
    ("bad_row", "column", "message"),
    [
        pytest.param(
            voter("V2", birth_date="1980-02-30"), "birth_date", "no such day", id="no such day"
        ),
        pytest.param(
            voter("V2", birth_date="03/04/1980"), "birth_date", "YYYY-MM-DD", id="a US date"
        ),
        pytest.param(
            voter("V2", birth_date="2999-01-01"), "birth_date", "future", id="born in the future"
        ),
        pytest.param(voter("V2", lon="abc"), "lon", "not a number", id="longitude not a number"),
        pytest.param(voter("V2", lat="91"), "lat", "out of range", id="latitude beyond the pole"),
        pytest.param(
            voter("V2", lon=""), "lon", "without lon", id="a latitude without a longitude"
        ),
        pytest.param(voter("", first_name="NoId"), "voter_id", "required", id="no voter id"),
        pytest.param(voter("V2", street=" "), "street", "required", id="a blank street"),
        pytest.param(
            voter("V1", first_name="Again"), "voter_id", "repeats line 2", id="a voter id twice"
        ),
    ],
)
async def test_a_bad_row_is_reported_by_line_and_column_and_the_good_rows_load(
    client: AsyncClient, camp: CampaignFixture, bad_row: dict, column: str, message: str
) -> None:
    rows = [voter("V1"), bad_row, voter("V3")]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    assert job["status"] == "succeeded"
    assert (job["rows_read"], job["created"], job["rejected"]) == (3, 2, 1)
    [error] = job["errors"]
    assert (error["line"], error["column"]) == (3, column)
    assert message in error["message"]
    loaded = {p["external_id"] for p in await people(client, camp.organizer.headers)}
    assert loaded == {"V1", "V3"}


async def test_rows_with_the_wrong_width_and_encoding(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    header = b"voter_id,first_name,last_name,house_number,street\n"
    content = (
        header
        + b"V1,Ann,Lee,1,Main\n"
        + b"V2,Jos\xe9,Lee,1,Main\n"  # Latin-1, not UTF-8
        + b"V3,Too,Many,1,Main,extra\n"
        + b"\n"
        + b'V4,"Quoted, with comma",Lee,2,"Elm\nStreet"\n'
        + b"V5,Zo\xc3\xab,Lee,3,Main\n"
    )
    job = await upload_voters(client, camp.organizer.headers, content)
    assert job["status"] == "succeeded", job
    assert (job["created"], job["rejected"]) == (3, 2)
    assert {(e["line"], e["column"]) for e in job["errors"]} == {(3, "first_name"), (4, None)}
    assert "UTF-8" in job["errors"][0]["message"]
    found = {p["external_id"]: p for p in await people(client, camp.organizer.headers)}
    assert found["V4"]["first_name"] == "Quoted, with comma"
    assert found["V4"]["household"]["street"] == "Elm\nStreet"
    assert found["V5"]["first_name"] == "Zoë"


async def test_bom_and_column_names_are_forgiving(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    content = (
        "\ufeffVoter ID,First Name,LAST_NAME,House Number,Street\nV1,Ann,Lee,1,Main\n".encode()
    )
    job = await upload_voters(client, camp.organizer.headers, content)
    assert (job["status"], job["created"]) == ("succeeded", 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(
            b"voter_id,first_name,street\nV1,Ann,Main\n",
            "missing required column(s): last_name, house_number",
            id="required columns missing",
        ),
        pytest.param(
            b"voter_id,first_name,last_name,house_number,street,street\n",
            "appears twice",
            id="a column twice",
        ),
        pytest.param(b"\xff\xfevoter_id\n", "not valid UTF-8", id="not UTF-8"),
    ],
)
async def test_a_file_that_cannot_be_read_fails_whole(
    client: AsyncClient, camp: CampaignFixture, content: bytes, message: str
) -> None:
    job = await upload_voters(client, camp.organizer.headers, content)
    assert job["status"] == "failed"
    assert message in job["message"], job["message"]
    assert job["created"] == 0


async def test_a_file_of_only_a_header_succeeds_empty(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    header_only = await upload_voters(
        client, camp.organizer.headers, b"voter_id,first_name,last_name,house_number,street\n"
    )
    assert (header_only["status"], header_only["rows_read"]) == ("succeeded", 0)


async def test_precinct_by_code_when_there_is_no_point(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    columns = ["voter_id", "first_name", "last_name", "house_number", "street", "precinct_code"]
    rows = [voter("V1", precinct_code="P2"), voter("V2", house_number="9", precinct_code="NOPE")]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows, columns))
    assert (job["created"], job["without_precinct"]) == (2, 1)
    p2 = (await client.get(f"{API}/precincts", headers=camp.organizer.headers)).json()["results"][1]
    assert [
        p["external_id"] for p in await people(client, camp.organizer.headers, precinct_id=p2["id"])
    ] == ["V1"]


async def test_precincts_imported_after_voters_locate_them(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    await upload_voters(client, camp.organizer.headers, voter_csv([voter("V1")]))
    assert (await people(client, camp.organizer.headers))[0]["precinct_id"] is None
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    assert (await people(client, camp.organizer.headers))[0]["precinct_id"] is not None


async def test_import_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    content = voter_csv([voter("V1")])
    for member in (camp.canvasser, camp.data_entry):
        response = await client.post(
            f"{API}/imports/voters", files={"file": ("v.csv", content)}, headers=member.headers
        )
        assert response.status_code == 403
    job = await upload_voters(client, camp.admin.headers, content)
    assert (
        await client.get(f"{API}/imports/{job['id']}", headers=other.admin.headers)
    ).status_code == 404
    assert (
        await client.get(f"{API}/imports/{job['id']}", headers=camp.canvasser.headers)
    ).status_code == 403
    assert await people(client, other.admin.headers) == []
    missing_file = await client.post(f"{API}/imports/voters", headers=camp.admin.headers)
    assert missing_file.status_code == 422


@pytest.fixture
async def small_client(
    settings: Settings, sessionmaker: async_sessionmaker[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that takes uploads up to 1000 bytes and JSON up to 500."""
    small = settings.model_copy(update={"max_upload_bytes": 1000, "max_json_bytes": 500})
    transport = httpx.ASGITransport(app=create_app(small, sessionmaker))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_an_oversize_upload_is_413(
    small_client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    upload = await small_client.post(
        f"{API}/imports/voters", files={"file": ("v.csv", b"x" * 5000)}, headers=camp.admin.headers
    )
    assert upload.status_code == 413
    assert upload.headers["content-type"] == "application/problem+json"


async def test_an_oversize_json_body_is_413(
    small_client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    body = await small_client.post(
        f"{API}/precincts/import",
        params={"code_property": "code"},
        json={"type": "FeatureCollection", "features": ["x" * 600]},
        headers=camp.admin.headers,
    )
    assert body.status_code == 413
