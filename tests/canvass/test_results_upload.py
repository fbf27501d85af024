"""Bulk upload of paper results: a CSV run as an import job, errors by line and column."""

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    read_contacts,
    read_person,
    run_import,
    upload_voters,
    voter,
    voter_csv,
)

HEADER = "list_number,line,result,q1,q2,q3,q4,note,date\n"


async def upload_results(
    client: AsyncClient, headers: dict[str, str], content: str | bytes
) -> dict:
    """Upload a results sheet (CSV) and return the finished job."""
    body = content.encode() if isinstance(content, str) else content
    return await run_import(client, headers, "canvass_results", body, "sheet.csv")


@pytest.fixture
async def good_sheet(assigned: AssignedList) -> str:
    """Line 1 canvassed (lean yes, volunteers, housing and transit, "Bike lanes", a note with a
    comma in quotes, dated today the US way), line 2 not home."""
    number = assigned.walk_list["number"]
    today = datetime.now(UTC).date()
    us_today = f"{today.month}/{today.day}/{today.year}"
    return (
        HEADER
        + f'{number},1,C,2,Y,H T,Bike lanes,"Said: come back, after 6",{us_today}\n'
        + f"{number},2,NH,,,,,,\n"
    )


async def test_good_rows_change_profiles_and_keep_their_notes(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, good_sheet: str
) -> None:
    job = await upload_results(client, camp.data_entry.headers, good_sheet)
    assert job["status"] == "succeeded", job
    assert (job["kind"], job["rows_read"], job["created"], job["rejected"]) == (
        "canvass_results",
        2,
        2,
        0,
    )
    line_one = assigned.people_by_line()[1]["id"]
    profile = await read_person(client, camp, line_one)
    assert profile["support_level"] == 2 and profile["custom_fields"]["top_issue"] == "Bike lanes"
    assert profile["custom_fields"]["housing"] is True  # "H T": two codes in one box
    [contact] = await read_contacts(client, camp, line_one)
    assert contact["note"] == "Said: come back, after 6" and contact["source"] == "paper"


async def test_the_same_sheet_again_is_all_duplicates(
    client: AsyncClient, camp: CampaignFixture, good_sheet: str
) -> None:
    await upload_results(client, camp.data_entry.headers, good_sheet)
    again = await upload_results(client, camp.data_entry.headers, good_sheet)
    assert (again["created"], again["duplicates"]) == (0, 2)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        pytest.param("{number},3,ZZ,,,,,,", "result", id="unknown result"),
        pytest.param("9999-9999,1,C,,,,,,", "list_number", id="unknown list"),
        pytest.param("{number},4,C,Y,,,,,", "q1", id="a code of another question"),
        pytest.param("{number},5,C,,,", None, id="too few fields"),
        pytest.param("{number},x,C,,,,,,", "line", id="not a line number"),
        pytest.param("{number},6,C,,,,,,2020-01-01", "date", id="dated before the list"),
    ],
)
async def test_a_bad_row_is_named_by_line_and_column_and_the_rest_is_recorded(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    row: str,
    column: str | None,
) -> None:
    number = assigned.walk_list["number"]
    sheet = HEADER + f"{number},2,NH,,,,,,\n" + row.format(number=number) + "\n"
    job = await upload_results(client, camp.data_entry.headers, sheet)
    assert job["status"] == "succeeded", job
    assert (job["rows_read"], job["created"], job["rejected"]) == (2, 1, 1)
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(3, column)]


@pytest.mark.parametrize(
    ("text", "encoding", "message"),
    [
        pytest.param("list_number,line\nx,1\n", "utf-8", "result", id="a required column missing"),
        pytest.param("list_number,line,result,colour\n", "utf-8", "colour", id="an unknown column"),
        pytest.param(HEADER + "{number},1,C,,,,,Café,\n", "latin-1", "UTF-8", id="not UTF-8"),
    ],
)
async def test_an_unreadable_results_file_fails_whole(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    text: str,
    encoding: str,
    message: str,
) -> None:
    content = text.format(number=assigned.walk_list["number"]).encode(encoding)
    job = await upload_results(client, camp.data_entry.headers, content)
    assert job["status"] == "failed" and message in job["message"], job


async def test_data_entry_reads_its_own_kind_of_job_not_the_voter_files(
    client: AsyncClient, camp: CampaignFixture, good_sheet: str
) -> None:
    await upload_results(client, camp.data_entry.headers, good_sheet)  # reads its job back
    voters = await upload_voters(client, camp.organizer.headers, voter_csv([voter("Z1")]))
    hidden = await client.get(f"{API}/imports/{voters['id']}", headers=camp.data_entry.headers)
    assert hidden.status_code == 404


async def test_canvassers_cannot_upload_results(client: AsyncClient, camp: CampaignFixture) -> None:
    response = await client.post(
        f"{API}/imports/canvass_results",
        files={"file": ("s.csv", b"x", "text/csv")},
        headers=camp.canvasser.headers,
    )
    assert response.status_code == 403


async def test_another_campaign_cannot_record_on_a_list(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    sheet = HEADER + f"{assigned.walk_list['number']},1,C,,,,,,\n"
    foreign = await upload_results(client, other.data_entry.headers, sheet)
    assert foreign["rejected"] == 1 and foreign["errors"][0]["column"] == "list_number"
    job = await client.get(f"{API}/imports/{foreign['id']}", headers=camp.organizer.headers)
    assert job.status_code == 404
