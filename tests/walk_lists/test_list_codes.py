"""List codes: a token for one list, nothing else; revocation, expiry, guessing throttled."""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.main import create_app
from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    build_walk_list,
    create_list_code,
    list_code_headers,
    read_contacts,
    send_sync,
    sql,
    sync_item,
)

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$")
# What a list-code token may do; everything else answers 403.
GUEST_ROUTES = {("GET", "/walk_lists"), ("GET", "/walk_lists/{list_id}"), ("POST", "/sync")}
PUBLIC_ROUTES = {("POST", "/auth/token"), ("POST", "/auth/list_code")}


@pytest.fixture
async def six_hour_code(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> dict[str, Any]:
    """A code for the assigned list, good for six hours."""
    return await create_list_code(client, camp, assigned.walk_list["id"], hours=6)


@pytest.fixture
async def guest(client: AsyncClient, six_hour_code: dict[str, Any]) -> dict[str, str]:
    """The headers of Sam, signed in with the six-hour code."""
    return await list_code_headers(client, six_hour_code["code"], name=" Sam ")


async def test_a_code_is_eight_unmistakable_characters_listed_by_its_end(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, six_hour_code: dict
) -> None:
    """The full code is in the answer that makes it, and never again."""
    code = six_hour_code["code"]
    assert CODE.match(code), six_hour_code
    assert six_hour_code["hint"] == code[-3:]
    assert six_hour_code["created_by"] == camp.organizer.id
    expires = datetime.fromisoformat(six_hour_code["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=6))) < timedelta(minutes=1)
    live = await client.get(
        f"{API}/walk_lists/{assigned.walk_list['id']}/codes", headers=camp.organizer.headers
    )
    assert [(c["id"], c["code"], c["hint"]) for c in live.json()] == [
        (six_hour_code["id"], None, code[-3:])
    ]
    assert code not in live.text


async def test_codes_are_not_stored_in_clear(
    client: AsyncClient,
    six_hour_code: dict,
    connection: AsyncConnection,
) -> None:
    """A copy of the database holds no code, nor an unkeyed hash one could search."""
    code = six_hour_code["code"]
    [row] = await sql(
        connection, "SELECT * FROM walk_list_code WHERE id = :i", i=six_hour_code["id"]
    )
    values = dict(row._mapping)
    assert "code" not in values
    assert not any(isinstance(v, str) and code in v for v in values.values())
    assert bytes(values["code_hash"]) not in {
        hashlib.sha256(code.encode()).digest(),
        hashlib.sha256(code.lower().encode()).digest(),
    }
    assert len(values["code_hash"]) == 32


async def test_codes_of_one_list_differ(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    codes = [await create_list_code(client, camp, assigned.walk_list["id"]) for _ in range(3)]
    assert len({c["code"] for c in codes}) == 3


async def test_a_code_typed_loosely_signs_in_for_no_longer_than_the_code_lives(
    client: AsyncClient, assigned: AssignedList, six_hour_code: dict
) -> None:
    """Typed the way people type: lower case, a dash in the middle."""
    code = six_hour_code["code"]
    typed = f"{code[:4].lower()}-{code[4:].lower()}"
    token = await client.post(f"{API}/auth/list_code", json={"code": typed, "name": " Sam "})
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["walk_list_id"] == assigned.walk_list["id"] and body["token_type"] == "bearer"
    assert 6 * 3600 - 120 < body["expires_in"] <= 6 * 3600


async def test_a_guest_reads_their_list_as_a_canvasser_does(
    client: AsyncClient, assigned: AssignedList, guest: dict[str, str]
) -> None:
    seen = await client.get(f"{API}/walk_lists/{assigned.walk_list['id']}", headers=guest)
    assert seen.status_code == 200 and seen.json() == assigned.payload
    listed = (await client.get(f"{API}/walk_lists", headers=guest)).json()["results"]
    assert [w["id"] for w in listed] == [assigned.walk_list["id"]]


async def test_a_guest_syncs_under_the_name_they_gave(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, guest: dict[str, str]
) -> None:
    stop = assigned.stops[0]
    knock = sync_item(assigned.walk_list, stop, None, "not_home")
    synced = await send_sync(client, guest, [knock])
    assert synced.json()["results"][0]["status"] == "created", synced.text
    [contact] = await read_contacts(client, camp, stop["people"][0]["id"])
    assert contact["canvasser"] == {"id": None, "name": "Sam"}


async def test_another_list_of_the_campaign_is_closed_to_a_guest(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, guest: dict[str, str]
) -> None:
    second = await build_walk_list(client, camp, assigned.world, include_volunteers=True)
    hidden = await client.get(f"{API}/walk_lists/{second['id']}", headers=guest)
    assert hidden.status_code == 404
    refused = await send_sync(client, guest, [sync_item(second, assigned.stops[0], None)])
    assert refused.json()["results"][0]["errors"][0]["loc"] == "walk_list_id"


async def test_a_list_code_token_can_do_nothing_else(
    client: AsyncClient, camp: CampaignFixture, settings: Settings, assigned: AssignedList
) -> None:
    """Every operation of the API contract refuses the guest, but three."""
    list_id = assigned.walk_list["id"]
    headers = await list_code_headers(
        client, (await create_list_code(client, camp, list_id))["code"]
    )
    ids = {
        "list_id": list_id,
        "person_id": assigned.stops[0]["people"][0]["id"],
        "user_id": camp.canvasser.id,
        "code": "ABCDEFGH",
        "tag": "x",
    }
    checked = 0
    for full_path, operations in create_app(settings).openapi()["paths"].items():
        path = full_path.removeprefix(API)
        for method in (m.upper() for m in operations):
            if (method, path) in GUEST_ROUTES | PUBLIC_ROUTES:
                continue
            url = API + re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
            response = await client.request(method, url, headers=headers, json={})
            assert response.status_code == 403, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked >= 25


async def test_a_revoked_code_stops_its_tokens_at_once(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, six_hour_code: dict
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    code = six_hour_code["code"]
    headers = await list_code_headers(client, code)
    assert (await client.get(url, headers=headers)).status_code == 200

    revoked = await client.delete(f"{url}/codes/{code}", headers=camp.organizer.headers)
    assert revoked.status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 401
    again = await client.post(f"{API}/auth/list_code", json={"code": code, "name": "x"})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    twice = await client.delete(f"{url}/codes/{code}", headers=camp.organizer.headers)
    assert twice.status_code == 404


async def test_an_expired_code_stops_its_tokens_and_leaves_the_live_list(
    client: AsyncClient,
    camp: CampaignFixture,
    assigned: AssignedList,
    six_hour_code: dict,
    connection: AsyncConnection,
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    code = six_hour_code["code"]
    headers = await list_code_headers(client, code)
    still_good = await create_list_code(client, camp, assigned.walk_list["id"])
    await sql(
        connection,
        "UPDATE walk_list_code SET expires_at = now() - interval '1 second' WHERE id = :id",
        id=six_hour_code["id"],
    )
    assert (await client.get(url, headers=headers)).status_code == 401
    expired = await client.post(f"{API}/auth/list_code", json={"code": code, "name": "x"})
    assert expired.status_code == 401
    live = (await client.get(f"{url}/codes", headers=camp.organizer.headers)).json()
    assert [c["id"] for c in live] == [still_good["id"]]


async def test_deleting_the_list_stops_its_tokens(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, guest: dict[str, str]
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=guest)).status_code == 401


async def test_a_code_is_revoked_by_its_id_once_the_code_is_gone(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, six_hour_code: dict
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    headers = await list_code_headers(client, six_hour_code["code"])
    by_id = await client.delete(
        f"{url}/codes/{six_hour_code['id']}", headers=camp.organizer.headers
    )
    assert by_id.status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 401


async def test_guessing_is_throttled_per_address(
    client: AsyncClient, six_hour_code: dict, settings: Settings
) -> None:
    for n in range(settings.list_code_failures_per_address):
        guess = {"code": f"WRONG{n:03d}", "name": "x"}
        wrong = await client.post(f"{API}/auth/list_code", json=guess)
        assert wrong.status_code == 401
    right = {"code": six_hour_code["code"], "name": "x"}
    blocked = await client.post(f"{API}/auth/list_code", json=right)
    assert blocked.status_code == 429  # the right code too, or guessing could go on behind it
    assert 1 <= int(blocked.headers["retry-after"]) <= settings.list_code_failure_window_s
    assert blocked.headers["content-type"] == "application/problem+json"


async def test_codes_need_staff_of_the_campaign(
    client: AsyncClient,
    camp: CampaignFixture,
    other: CampaignFixture,
    assigned: AssignedList,
    six_hour_code: dict,
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}/codes"
    code = six_hour_code["code"]
    for member in (camp.canvasser, camp.data_entry):
        assert (await client.post(url, json={}, headers=member.headers)).status_code == 403
        assert (await client.get(url, headers=member.headers)).status_code == 403
        assert (await client.delete(f"{url}/{code}", headers=member.headers)).status_code == 403
    foreign = other.organizer.headers
    assert (await client.post(url, json={}, headers=foreign)).status_code == 404
    assert (await client.get(url, headers=foreign)).status_code == 404
    assert (await client.delete(f"{url}/{code}", headers=foreign)).status_code == 404


async def test_a_code_lasts_24_hours_unless_told(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}/codes"
    default = await client.post(url, json={}, headers=camp.admin.headers)
    assert default.status_code == 201
    expires = datetime.fromisoformat(default.json()["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "hours",
    [
        pytest.param(0, id="none"),
        pytest.param(24 * 31, id="more than 30 days"),
        pytest.param("soon", id="not a number"),
    ],
)
async def test_a_code_lives_from_an_hour_to_30_days(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList, hours: Any
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}/codes"
    bad = await client.post(url, json={"expires_in_hours": hours}, headers=camp.admin.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.expires_in_hours"


async def test_a_guest_must_give_a_name(client: AsyncClient, six_hour_code: dict) -> None:
    nameless = await client.post(
        f"{API}/auth/list_code", json={"code": six_hour_code["code"], "name": "  "}
    )
    assert nameless.status_code == 422
