"""People: paging, filters, profile, corrections, tags; roles and tenancy."""

from datetime import date

from httpx import AsyncClient

from app.services.voter_file.people import age_on
from tests.conftest import CampaignFixture
from tests.helpers import API, grid_precincts, import_precincts, upload_voters, voter, voter_csv


async def load(client: AsyncClient, camp: CampaignFixture) -> dict[str, dict]:
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


async def ids(client: AsyncClient, camp: CampaignFixture, **params: object) -> list[str]:
    response = await client.get(f"{API}/people", params=params, headers=camp.organizer.headers)
    assert response.status_code == 200, response.text
    return [p["external_id"] for p in response.json()["results"]]


async def test_profile_shape(client: AsyncClient, camp: CampaignFixture) -> None:
    found = await load(client, camp)
    ann = found["V1"]
    assert set(ann) == {
        "id", "external_id", "first_name", "middle_name", "last_name", "suffix", "birth_date",
        "birth_year", "age", "sex", "party", "phone", "email", "household", "precinct_id",
        "support_level", "is_volunteer", "is_donor", "do_not_contact", "deceased", "moved",
        "tags", "custom_fields", "last_contacted_at",
    }  # fmt: skip
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


async def test_filters_and_search(client: AsyncClient, camp: CampaignFixture) -> None:
    found = await load(client, camp)
    assert await ids(client, camp, q="smi") == ["V1", "V2", "V4"]
    assert await ids(client, camp, q="SMITH") == ["V1", "V2"]
    assert await ids(client, camp, q="smi%") == ["V4"]  # LIKE wildcards are literal
    assert await ids(client, camp, q="dee_") == ["V4"]
    assert await ids(client, camp, q="ann smith") == ["V1"]
    assert await ids(client, camp, q="o'neil") == ["V3"]
    assert await ids(client, camp, party="d") == ["V1", "V3"]
    household = found["V1"]["household"]["id"]
    assert await ids(client, camp, household_id=household) == ["V1"]
    p2 = found["V3"]["precinct_id"]
    assert await ids(client, camp, precinct_id=p2) == ["V3"]
    await client.put(
        f"{API}/people/{found['V2']['id']}/tags/walker", headers=camp.organizer.headers
    )
    assert await ids(client, camp, tag="walker") == ["V2"]
    await client.patch(
        f"{API}/people/{found['V3']['id']}",
        json={"support_level": 1},
        headers=camp.organizer.headers,
    )
    assert await ids(client, camp, support_level=1) == ["V3"]
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


async def test_patch_and_tags(client: AsyncClient, camp: CampaignFixture) -> None:
    found = await load(client, camp)
    pid = found["V1"]["id"]
    url = f"{API}/people/{pid}"
    headers = camp.organizer.headers
    patched = await client.patch(
        url,
        json={"support_level": 4, "is_volunteer": True, "phone": "617-555-0199",
              "custom_fields": {"top_issue": "transit", "pets": 2}},
        headers=headers,
    )  # fmt: skip
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["support_level"], body["is_volunteer"], body["phone"]) == (4, True, "617-555-0199")
    assert body["custom_fields"] == {"top_issue": "transit", "pets": 2}
    merged = (
        await client.patch(
            url, json={"custom_fields": {"pets": None, "lang": "pt"}}, headers=headers
        )
    ).json()
    assert merged["custom_fields"] == {"top_issue": "transit", "lang": "pt"}
    cleared = (await client.patch(url, json={"support_level": None}, headers=headers)).json()
    assert cleared["support_level"] is None and cleared["is_volunteer"] is True

    for body, loc in (
        ({"is_volunteer": None}, "body.is_volunteer"),
        ({"support_level": 6}, "body.support_level"),
        ({"favourite": "x"}, "body.favourite"),
        ({"birth_date": "1980-02-30"}, "body.birth_date"),
    ):
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"] == loc

    tagged = (await client.put(f"{url}/tags/door-knocker", headers=headers)).json()
    tagged = (await client.put(f"{url}/tags/door-knocker", headers=headers)).json()
    tagged = (await client.put(f"{url}/tags/yard sign", headers=headers)).json()
    assert tagged["tags"] == ["door-knocker", "yard sign"]
    untagged = (await client.delete(f"{url}/tags/door-knocker", headers=headers)).json()
    assert untagged["tags"] == ["yard sign"]
    assert (await client.delete(f"{url}/tags/never-had", headers=headers)).status_code == 200


async def test_roles_and_tenancy(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    found = await load(client, camp)
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
