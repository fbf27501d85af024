"""List codes: a token for one list, nothing else; revocation, expiry, guessing throttled."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.main import create_app
from tests.canvass.test_phone_sync import item, ready
from tests.conftest import CampaignFixture, sql
from tests.helpers import API
from tests.walk_lists.test_walk_lists import build

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$")
# What a list-code token may do; everything else answers 403.
GUEST_ROUTES = {("GET", "/walk_lists"), ("GET", "/walk_lists/{list_id}"), ("POST", "/sync")}
PUBLIC_ROUTES = {("POST", "/auth/token"), ("POST", "/auth/list_code")}


async def new_code(
    client: AsyncClient, camp: CampaignFixture, list_id: int, hours: int = 24
) -> dict[str, Any]:
    response = await client.post(f"{API}/walk_lists/{list_id}/codes",
                                 json={"expires_in_hours": hours},
                                 headers=camp.organizer.headers)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def guest(client: AsyncClient, code: str, name: str = "Sam Guest") -> dict[str, str]:
    response = await client.post(f"{API}/auth/list_code", json={"code": code, "name": name})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_code_opens_one_list_and_syncs_under_the_given_name(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    world, walk_list, payload = await ready(client, camp)
    created = await new_code(client, camp, walk_list["id"], hours=6)
    assert CODE.match(created["code"]), created
    expires = datetime.fromisoformat(created["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=6))) < timedelta(minutes=1)
    live = await client.get(
        f"{API}/walk_lists/{walk_list['id']}/codes", headers=camp.organizer.headers
    )
    assert [c["code"] for c in live.json()] == [created["code"]]

    # Typed the way people type: lower case, a dash in the middle.
    typed = f"{created['code'][:4].lower()}-{created['code'][4:].lower()}"
    token = await client.post(f"{API}/auth/list_code", json={"code": typed, "name": " Sam "})
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["walk_list_id"] == walk_list["id"] and body["token_type"] == "bearer"
    assert 6 * 3600 - 120 < body["expires_in"] <= 6 * 3600  # never outlives the code
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    url = f"{API}/walk_lists/{walk_list['id']}"
    seen = await client.get(url, headers=headers)
    assert seen.status_code == 200 and seen.json() == payload
    listed = (await client.get(f"{API}/walk_lists", headers=headers)).json()["results"]
    assert [w["id"] for w in listed] == [walk_list["id"]]

    stop = payload["stops"][0]
    synced = await client.post(
        f"{API}/sync", json={"results": [item(walk_list, stop, None, "not_home")]}, headers=headers
    )
    assert synced.json()["results"][0]["status"] == "created", synced.text
    history = (await client.get(f"{API}/people/{stop['people'][0]['id']}/contacts",
                                headers=camp.organizer.headers)).json()["results"]  # fmt: skip
    assert history[0]["canvasser"] == {"id": None, "name": "Sam"}

    # Another list of the same campaign: invisible, and its results are refused.
    second = (await build(client, camp, world, include_volunteers=True)).json()
    hidden = await client.get(f"{API}/walk_lists/{second['id']}", headers=headers)
    assert hidden.status_code == 404
    refused = await client.post(
        f"{API}/sync", json={"results": [item(second, stop, None)]}, headers=headers
    )
    assert refused.json()["results"][0]["errors"][0]["loc"] == "walk_list_id"


async def test_a_list_code_token_can_do_nothing_else(
    client: AsyncClient, camp: CampaignFixture, settings: Settings
) -> None:
    """Every operation of the API contract refuses the guest, but three."""
    _, walk_list, payload = await ready(client, camp)
    headers = await guest(client, (await new_code(client, camp, walk_list["id"]))["code"])
    ids = {"list_id": walk_list["id"], "person_id": payload["stops"][0]["people"][0]["id"],
           "user_id": camp.canvasser.id, "code": "ABCDEFGH", "tag": "x"}  # fmt: skip
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


async def test_revoked_expired_and_deleted_codes_stop_their_tokens(
    client: AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    _, walk_list, _ = await ready(client, camp)
    url = f"{API}/walk_lists/{walk_list['id']}"
    first, second, third = [await new_code(client, camp, walk_list["id"]) for _ in range(3)]
    assert len({first["code"], second["code"], third["code"]}) == 3
    headers = await guest(client, first["code"])
    assert (await client.get(url, headers=headers)).status_code == 200

    revoked = await client.delete(f"{url}/codes/{first['code']}", headers=camp.organizer.headers)
    assert revoked.status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 401  # at once
    again = await client.post(f"{API}/auth/list_code", json={"code": first["code"], "name": "x"})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    twice = await client.delete(f"{url}/codes/{first['code']}", headers=camp.organizer.headers)
    assert twice.status_code == 404

    headers = await guest(client, second["code"])
    await sql(connection, "UPDATE walk_list_code SET expires_at = now() - interval '1 second'"
                          " WHERE code = :code", code=second["code"])  # fmt: skip
    assert (await client.get(url, headers=headers)).status_code == 401
    expired = await client.post(f"{API}/auth/list_code", json={"code": second["code"], "name": "x"})
    assert expired.status_code == 401
    live = (await client.get(f"{url}/codes", headers=camp.organizer.headers)).json()
    assert [c["code"] for c in live] == [third["code"]]

    headers = await guest(client, third["code"])
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 401


async def test_guessing_is_throttled_per_address(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)
    good = (await new_code(client, camp, walk_list["id"]))["code"]
    for n in range(10):
        guess = {"code": f"WRONG{n:03d}", "name": "x"}
        wrong = await client.post(f"{API}/auth/list_code", json=guess)
        assert wrong.status_code == 401
    blocked = await client.post(f"{API}/auth/list_code", json={"code": good, "name": "x"})
    assert blocked.status_code == 429  # the right code too, or guessing could go on behind it
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert blocked.headers["content-type"] == "application/problem+json"


async def test_codes_need_staff_of_the_campaign(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)
    url = f"{API}/walk_lists/{walk_list['id']}/codes"
    code = (await new_code(client, camp, walk_list["id"]))["code"]
    for member in (camp.canvasser, camp.data_entry):
        assert (await client.post(url, json={}, headers=member.headers)).status_code == 403
        assert (await client.get(url, headers=member.headers)).status_code == 403
        assert (await client.delete(f"{url}/{code}", headers=member.headers)).status_code == 403
    foreign = other.organizer.headers
    assert (await client.post(url, json={}, headers=foreign)).status_code == 404
    assert (await client.get(url, headers=foreign)).status_code == 404
    assert (await client.delete(f"{url}/{code}", headers=foreign)).status_code == 404
    default = await client.post(url, json={}, headers=camp.admin.headers)
    assert default.status_code == 201  # 24 hours unless told
    for hours in (0, 24 * 31, "soon"):
        bad = await client.post(url, json={"expires_in_hours": hours}, headers=camp.admin.headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "body.expires_in_hours"
    nameless = await client.post(f"{API}/auth/list_code", json={"code": code, "name": "  "})
    assert nameless.status_code == 422
