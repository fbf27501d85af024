"""Bulk upload of paper results: a CSV run as an import job, errors by line and column."""

from datetime import UTC, datetime

from httpx import AsyncClient

from tests.canvass.test_phone_sync import person, ready
from tests.conftest import CampaignFixture
from tests.helpers import API, upload_voters, voter, voter_csv

HEADER = "list_number,line,result,q1,q2,q3,q4,note,date\n"


async def upload(client: AsyncClient, headers: dict[str, str], content: str | bytes) -> dict:
    body = content.encode() if isinstance(content, str) else content
    response = await client.post(f"{API}/imports/canvass_results",
                                 files={"file": ("sheet.csv", body, "text/csv")},
                                 headers=headers)  # fmt: skip
    assert response.status_code == 202, response.text
    job = await client.get(f"{API}/imports/{response.json()['id']}", headers=headers)
    assert job.status_code == 200, job.text
    return job.json()


async def test_results_upload_records_good_rows_and_names_bad_cells(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    _, walk_list, payload = await ready(client, camp)
    number = walk_list["number"]
    lines = {p["line"]: p for s in payload["stops"] for p in s["people"]}
    today = datetime.now(UTC).date()
    us_today = f"{today.month}/{today.day}/{today.year}"
    csv = HEADER + "\n".join([
        f"{number},1,C,2,Y,H T,Bike lanes,\"Said: come back, after 6\",{us_today}",
        f"{number},2,NH,,,,,,",
        f"{number},3,ZZ,,,,,,",                 # line 4: unknown result
        "9999-9999,1,C,,,,,,",                 # line 5: unknown list
        f"{number},4,C,Y,,,,,",                 # line 6: a code of another question
        f"{number},5,C,,,",                     # line 7: too few fields
        f"{number},x,C,,,,,,",                  # line 8: not a line number
        f"{number},6,C,,,,,,2020-01-01",        # line 9: before the list
        "",
    ])  # fmt: skip
    job = await upload(client, camp.data_entry.headers, csv)
    assert job["status"] == "succeeded", job
    assert (job["kind"], job["rows_read"], job["created"], job["rejected"]) == (
        "canvass_results", 8, 2, 6)  # fmt: skip
    cells = [(e["line"], e["column"]) for e in job["errors"]]
    assert cells == [(4, "result"), (5, "list_number"), (6, "q1"), (7, None), (8, "line"),
                     (9, "date")]  # fmt: skip

    profile = await person(client, camp, lines[1]["id"])
    assert profile["support_level"] == 2 and profile["custom_fields"]["top_issue"] == "Bike lanes"
    assert profile["custom_fields"]["housing"] is True  # "H T": two codes in one box
    history = (await client.get(f"{API}/people/{lines[1]['id']}/contacts",
                                headers=camp.organizer.headers)).json()["results"]  # fmt: skip
    assert history[0]["note"] == "Said: come back, after 6" and history[0]["source"] == "paper"

    again = await upload(client, camp.data_entry.headers, csv)
    assert (again["created"], again["duplicates"]) == (0, 2)

    # Data entry reads its own kind of job, not the voter file's.
    voters = await upload_voters(client, camp.organizer.headers, voter_csv([voter("Z1")]))
    hidden = await client.get(f"{API}/imports/{voters['id']}", headers=camp.data_entry.headers)
    assert hidden.status_code == 404


async def test_unreadable_results_files_fail_whole(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)
    missing = await upload(client, camp.data_entry.headers, "list_number,line\nx,1\n")
    assert missing["status"] == "failed" and "result" in missing["message"]
    unknown = await upload(client, camp.data_entry.headers, "list_number,line,result,colour\n")
    assert unknown["status"] == "failed" and "colour" in unknown["message"]
    latin1 = (HEADER + f"{walk_list['number']},1,C,,,,,Café,\n").encode("latin-1")
    broken = await upload(client, camp.data_entry.headers, latin1)
    assert broken["status"] == "failed" and "UTF-8" in broken["message"]

    # Roles and tenants: canvassers cannot upload; another campaign cannot see the lists.
    response = await client.post(f"{API}/imports/canvass_results",
                                 files={"file": ("s.csv", b"x", "text/csv")},
                                 headers=camp.canvasser.headers)  # fmt: skip
    assert response.status_code == 403
    foreign = await upload(client, other.data_entry.headers,
                           HEADER + f"{walk_list['number']},1,C,,,,,,\n")  # fmt: skip
    assert foreign["rejected"] == 1 and foreign["errors"][0]["column"] == "list_number"
    assert (await client.get(f"{API}/imports/{foreign['id']}",
                             headers=camp.organizer.headers)).status_code == 404  # fmt: skip
