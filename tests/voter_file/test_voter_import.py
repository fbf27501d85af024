"""Voter-file import through the API: jobs, households, precincts, upserts, bad rows."""

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import CampaignFixture, sql
from tests.helpers import API, grid_precincts, import_precincts, upload_voters, voter, voter_csv


async def people(client: AsyncClient, headers: dict[str, str], **params: object) -> list[dict]:
    response = await client.get(f"{API}/people", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def test_import_groups_doors_assigns_precincts_and_reports(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    rows = [
        voter("V1", first_name="Ann", street="Main Street", lon="-71.095", lat="42.375"),
        voter(
            "V2", first_name="Bob", street="MAIN ST", city="CAMBRIDGE", lon="-71.095", lat="42.375"
        ),
        voter("V3", first_name="Cy", street="main st.", zip="02139-4411", lon="", lat=""),
        voter(
            "V4", first_name="Di", street="Elm Avenue", unit="Apt 2B", lon="-71.085", lat="42.375"
        ),
        voter("V5", first_name="Ed", street="Elm Ave", unit="#2b", lon="-71.085", lat="42.375"),
        voter("V6", first_name="Flo", street="Far Rd", lon="-70.5", lat="41.0"),  # outside all
    ]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    assert job["status"] == "succeeded", job
    assert job["kind"] == "voters" and job["filename"] == "voters.csv"
    assert (job["rows_read"], job["created"], job["updated"], job["rejected"]) == (6, 6, 0, 0)
    assert job["without_precinct"] == 1 and job["errors"] == []

    found = {p["external_id"]: p for p in await people(client, camp.organizer.headers)}
    main = {found[v]["household"]["id"] for v in ("V1", "V2", "V3")}
    elm = {found[v]["household"]["id"] for v in ("V4", "V5")}
    assert len(main) == 1 and len(elm) == 1 and main != elm
    # The door keeps the point given by its first line that has one.
    assert found["V3"]["household"]["lon"] == -71.095
    precincts = {
        p["code"]: p
        for p in (await client.get(f"{API}/precincts", headers=camp.organizer.headers)).json()[
            "results"
        ]
    }
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
    await upload_voters(
        client, camp.organizer.headers,
        voter_csv([voter("V1", phone="617-555-0101", shirt="L")], columns),
    )  # fmt: skip
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


async def test_bad_rows_are_reported_by_line_and_column_and_good_rows_load(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    rows = [
        voter("V1"),
        voter("V2", birth_date="1980-02-30"),
        voter("V3", birth_date="03/04/1980"),
        voter("V4", lon="abc"),
        voter("V5", lat="91"),
        voter("V6", lon=""),
        voter("", first_name="NoId"),
        voter("V8", street=" "),
        voter("V1", first_name="Again"),
        voter("V10", birth_date="2999-01-01"),
        voter("V11"),
    ]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    assert job["status"] == "succeeded"
    assert (job["rows_read"], job["created"], job["rejected"]) == (11, 2, 9)
    errors = {(e["line"], e["column"]) for e in job["errors"]}
    assert errors == {
        (3, "birth_date"), (4, "birth_date"), (5, "lon"), (6, "lat"), (7, "lon"),
        (8, "voter_id"), (9, "street"), (10, "voter_id"), (11, "birth_date"),
    }  # fmt: skip
    messages = {e["line"]: e["message"] for e in job["errors"]}
    assert "no such day" in messages[3] and "YYYY-MM-DD" in messages[4]
    assert "repeats line 2" in messages[10] and "future" in messages[11]
    loaded = {p["external_id"] for p in await people(client, camp.organizer.headers)}
    assert loaded == {"V1", "V11"}


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


async def test_whole_file_failures(client: AsyncClient, camp: CampaignFixture) -> None:
    cases = {
        b"": "empty",
        b"voter_id,first_name,street\nV1,Ann,Main\n": (
            "missing required column(s): last_name, house_number"
        ),
        b"voter_id,first_name,last_name,house_number,street,street\n": "appears twice",
        b"\xff\xfevoter_id\n": "not valid UTF-8",
    }
    for content, message in cases.items():
        job = await upload_voters(client, camp.organizer.headers, content)
        assert job["status"] == "failed", content
        assert message in job["message"], job["message"]
        assert job["created"] == 0
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


async def test_import_roles_tenancy_and_size_limit(
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


async def test_oversize_bodies_are_413(camp: CampaignFixture, settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from app.main import create_app

    small = settings.model_copy(update={"max_upload_bytes": 1000, "max_json_bytes": 500})
    app = create_app(small, sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        upload = await c.post(
            f"{API}/imports/voters",
            files={"file": ("v.csv", b"x" * 5000)},
            headers=camp.admin.headers,
        )
        assert upload.status_code == 413
        assert upload.headers["content-type"] == "application/problem+json"
        body = await c.post(
            f"{API}/precincts/import",
            params={"code_property": "code"},
            json={"type": "FeatureCollection", "features": ["x" * 600]},
            headers=camp.admin.headers,
        )
        assert body.status_code == 413
