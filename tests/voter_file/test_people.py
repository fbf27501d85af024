"""People: paging, filters, profile, corrections, tags; roles and tenancy."""

from datetime import date

import pytest
from httpx import AsyncClient

from app.services.voter_file.people import age_on
from tests.builders import (
    API,
    CampaignFixture,
    grid_precincts,
    import_precincts,
    upload_voters,
    voter,
    voter_csv,
)


@pytest.fixture
async def found(client: AsyncClient, camp: CampaignFixture) -> dict[str, dict]:
    """Four people by voter id: Ann Smith (D) and Bob Smithers (R) in P1, Cyd O'Neil (d) in P2,
    and Dee_ Smi%th with no party, birth date or point."""
    await import_precincts(client, camp.organizer.headers, grid_precincts())
    rows = [
        voter("V1", first_name="Ann", last_name="Smith", party="D"),
        voter("V2", first_name="Bob", last_name="Smithers", party="R", house_number="14"),
        voter(
            "V3",
            first_name="Cyd",
            last_name="O'Neil",
            party="d",
            house_number="16",
            lon="-71.085",
            lat="42.375",
        ),
        voter(
            "V4",
            first_name="Dee_",
            last_name="Smi%th",
            party="",
            birth_date="",
            house_number="18",
            lon="",
            lat="",
        ),
    ]
    await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    listed = await client.get(f"{API}/people", headers=camp.organizer.headers)
    return {p["external_id"]: p for p in listed.json()["results"]}


async def ids(client: AsyncClient, camp: CampaignFixture, **params: str | int) -> list[str]:
    response = await client.get(f"{API}/people", params=params, headers=camp.organizer.headers)
    assert response.status_code == 200, response.text
    return [p["external_id"] for p in response.json()["results"]]


PROFILE_FIELDS = {
    *("id", "external_id", "first_name", "middle_name", "last_name", "suffix"),
    *("birth_date", "birth_year", "age", "sex", "party", "phone", "email"),
    *("household", "precinct_id", "support_level", "is_volunteer", "is_donor"),
    *("do_not_contact", "deceased", "moved", "tags", "custom_fields", "last_contacted_at"),
}


async def test_profile_shape(
    client: AsyncClient, camp: CampaignFixture, found: dict[str, dict]
) -> None:
    ann = found["V1"]
    assert set(ann) == PROFILE_FIELDS
    assert ann["birth_date"] == "1980-05-17" and ann["birth_year"] == 1980
    assert ann["age"] == age_on(date.today(), date(1980, 5, 17), None)
    assert ann["household"]["street"] == "Main Street" and ann["household"]["lat"] == 42.375
    assert ann["tags"] == [] and ann["support_level"] is None
    one = await client.get(f"{API}/people/{ann['id']}", headers=camp.organizer.headers)
    assert one.json() == ann


def test_age() -> None:
    today = date(2026, 11, 22)
    assert age_on(today, date(2000, 11, 22), None) == 26
    assert age_on(today, date(2000, 11, 23), None) == 25
    assert age_on(today, None, 1990) == 36
    assert age_on(today, None, None) is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("smi", ["V1", "V2", "V4"], id="the start of a last name"),
        pytest.param("SMITH", ["V1", "V2"], id="in any case"),
        pytest.param("smi%", ["V4"], id="a literal percent sign"),
        pytest.param("dee_", ["V4"], id="a literal underscore"),
        pytest.param("ann smith", ["V1"], id="first and last name"),
        pytest.param("o'neil", ["V3"], id="an apostrophe"),
    ],
)
async def test_search_by_name(
    client: AsyncClient, camp: CampaignFixture, found: dict[str, dict], q: str, expected: list
) -> None:
    assert await ids(client, camp, q=q) == expected


async def test_filter_by_party_door_and_precinct(
    client: AsyncClient, camp: CampaignFixture, found: dict[str, dict]
) -> None:
    assert await ids(client, camp, party="d") == ["V1", "V3"]
    household = found["V1"]["household"]["id"]
    assert await ids(client, camp, household_id=household) == ["V1"]
    assert await ids(client, camp, precinct_id=found["V3"]["precinct_id"]) == ["V3"]


async def test_filter_by_tag_and_support_level(
    client: AsyncClient, camp: CampaignFixture, found: dict[str, dict]
) -> None:
    headers = camp.organizer.headers
    await client.put(f"{API}/people/{found['V2']['id']}/tags/walker", headers=headers)
    assert await ids(client, camp, tag="walker") == ["V2"]
    await client.patch(
        f"{API}/people/{found['V3']['id']}", json={"support_level": 1}, headers=headers
    )
    assert await ids(client, camp, support_level=1) == ["V3"]


async def test_a_support_level_filter_out_of_range_is_422(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    bad = await client.get(
        f"{API}/people", params={"support_level": 9}, headers=camp.organizer.headers
    )
    assert bad.status_code == 422


async def test_cursor_paging_walks_everyone_once(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    rows = [voter(f"V{i:03d}", house_number=str(i)) for i in range(23)]
    await upload_voters(client, camp.organizer.headers, voter_csv(rows))
    seen: list[str] = []
    url: str | None = f"{API}/people?limit=5"
    pages = 0
    while url:
        body = (await client.get(url, headers=camp.organizer.headers)).json()
        seen += [p["external_id"] for p in body["results"]]
        url = body["next"]
        pages += 1
    assert seen == [f"V{i:03d}" for i in range(23)] and pages == 5


@pytest.fixture
def ann_url(found: dict[str, dict]) -> str:
    return f"{API}/people/{found['V1']['id']}"


async def test_a_patch_changes_the_fields_it_names(
    client: AsyncClient, camp: CampaignFixture, ann_url: str
) -> None:
    change = {
        "support_level": 4,
        "is_volunteer": True,
        "phone": "617-555-0199",
        "custom_fields": {"top_issue": "transit", "pets": 2},
    }
    patched = await client.patch(ann_url, json=change, headers=camp.organizer.headers)
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["support_level"], body["is_volunteer"], body["phone"]) == (4, True, "617-555-0199")
    assert body["custom_fields"] == {"top_issue": "transit", "pets": 2}


async def test_custom_fields_merge_and_null_removes_one(
    client: AsyncClient, camp: CampaignFixture, ann_url: str
) -> None:
    headers = camp.organizer.headers
    first = {"custom_fields": {"top_issue": "transit", "pets": 2}}
    await client.patch(ann_url, json=first, headers=headers)
    merged = await client.patch(
        ann_url, json={"custom_fields": {"pets": None, "lang": "pt"}}, headers=headers
    )
    assert merged.json()["custom_fields"] == {"top_issue": "transit", "lang": "pt"}


async def test_a_support_level_is_cleared_with_null_and_the_rest_stays(
    client: AsyncClient, camp: CampaignFixture, ann_url: str
) -> None:
    headers = camp.organizer.headers
    await client.patch(ann_url, json={"support_level": 4, "is_volunteer": True}, headers=headers)
    cleared = (await client.patch(ann_url, json={"support_level": None}, headers=headers)).json()
    assert cleared["support_level"] is None and cleared["is_volunteer"] is True


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"is_volunteer": None}, "body.is_volunteer", id="a flag set to null"),
        pytest.param({"support_level": 6}, "body.support_level", id="support level out of range"),
        pytest.param({"favourite": "x"}, "body.favourite", id="unknown field"),
        pytest.param({"birth_date": "1980-02-30"}, "body.birth_date", id="no such day"),
    ],
)
async def test_a_bad_patch_is_422_naming_the_field(
    client: AsyncClient, camp: CampaignFixture, ann_url: str, body: dict, loc: str
) -> None:
    response = await client.patch(ann_url, json=body, headers=camp.organizer.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc


async def test_tags_are_a_set(client: AsyncClient, camp: CampaignFixture, ann_url: str) -> None:
    headers = camp.organizer.headers
    await client.put(f"{ann_url}/tags/door-knocker", headers=headers)
    await client.put(f"{ann_url}/tags/door-knocker", headers=headers)
    tagged = (await client.put(f"{ann_url}/tags/yard sign", headers=headers)).json()
    assert tagged["tags"] == ["door-knocker", "yard sign"]
    untagged = (await client.delete(f"{ann_url}/tags/door-knocker", headers=headers)).json()
    assert untagged["tags"] == ["yard sign"]
    assert (await client.delete(f"{ann_url}/tags/never-had", headers=headers)).status_code == 200


async def test_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, found: dict[str, dict]
) -> None:
    pid = found["V1"]["id"]
    for member in (camp.canvasser, camp.data_entry):
        assert (await client.get(f"{API}/people", headers=member.headers)).status_code == 403
        assert (await client.get(f"{API}/people/{pid}", headers=member.headers)).status_code == 403
        assert (
            await client.patch(f"{API}/people/{pid}", json={}, headers=member.headers)
        ).status_code == 403
    foreign = other.admin.headers
    assert (await client.get(f"{API}/people", headers=foreign)).json()["results"] == []
    assert (await client.get(f"{API}/people/{pid}", headers=foreign)).status_code == 404
    patch = await client.patch(f"{API}/people/{pid}", json={"support_level": 1}, headers=foreign)
    assert patch.status_code == 404
    assert (await client.put(f"{API}/people/{pid}/tags/x", headers=foreign)).status_code == 404
    assert (await client.delete(f"{API}/people/{pid}/tags/x", headers=foreign)).status_code == 404
    unchanged = (await client.get(f"{API}/people/{pid}", headers=camp.admin.headers)).json()
    assert unchanged["support_level"] is None and unchanged["tags"] == []
    household = found["V1"]["household"]["id"]
    assert (
        await client.get(f"{API}/people", params={"household_id": household}, headers=foreign)
    ).json()["results"] == []
