"""Sessions and off-boarding (issue 11, item 10): logging out, an admin ending a member's
sessions, changing a role, deactivating, removing, resetting a password; a user changing their
own. Each ends the member's tokens on their very next request."""

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from app.config import Settings
from app.services.access.auth import tenant_from_token
from tests.builders import (
    API,
    PASSWORD,
    CampaignFixture,
    add_member,
    bearer,
    login,
    sql,
)


async def status(client: httpx.AsyncClient, headers: dict[str, str], path: str = "/me") -> int:
    return (await client.get(f"{API}{path}", headers=headers)).status_code


async def signed_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    """A fresh session's headers (a second device, next to the fixture's token)."""
    return bearer(await login(client, email, password))


async def test_a_login_lives_one_shift_and_logout_ends_only_that_session(
    client: httpx.AsyncClient, camp: CampaignFixture, settings: Settings
) -> None:
    answer = await login(client, camp.organizer.email)
    assert answer.json()["expires_in"] == settings.token_ttl_seconds
    phone = bearer(answer)
    out = await client.post(f"{API}/auth/logout", headers=phone)
    assert out.status_code == 204
    assert await status(client, phone) == 401
    assert await status(client, camp.organizer.headers) == 200  # the other device


async def test_an_expired_session_ends_its_token(
    client: httpx.AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    await sql(
        connection,
        "UPDATE auth_session SET expires_at = now() - interval '1 second' WHERE user_id = :u",
        u=camp.organizer.id,
    )
    assert await status(client, camp.organizer.headers) == 401


async def test_the_check_of_a_token_is_one_read(
    camp: CampaignFixture,
    settings: Settings,
    sessionmaker: async_sessionmaker[Any],
    connection: AsyncConnection,
) -> None:
    """Session, account and role come back in a single statement on every request, after the
    one that names the token's campaign for row-level security (the harness's SET ROLE and
    savepoints aside: production connects as the API role and begins a transaction)."""
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection.sync_connection, "before_cursor_execute", seen)
    try:
        async with sessionmaker() as session:
            token = camp.admin.headers["Authorization"].removeprefix("Bearer ")
            tenant = await tenant_from_token(session, settings, token)
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", seen)
    assert tenant.user_id == camp.admin.id and tenant.role.value == "admin"
    sent = [s for s in statements if "SAVEPOINT" not in s and not s.startswith("SET ROLE")]
    assert sent[0] == "SELECT set_config('app.campaign_id', $1, true)"
    assert len(sent) == 2 and "FROM auth_session" in sent[1]


async def test_an_admin_ends_a_members_sessions(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    second = await signed_in(client, camp.canvasser.email)
    url = f"{API}/users/{camp.canvasser.id}/sessions"
    assert (await client.delete(url, headers=camp.admin.headers)).status_code == 204
    assert await status(client, camp.canvasser.headers) == 401
    assert await status(client, second) == 401
    assert await status(client, await signed_in(client, camp.canvasser.email)) == 200


async def test_a_new_role_ends_the_sessions_and_takes_effect(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    """The attack: a demoted organizer kept an 8-hour token with the old role."""
    changed = await client.patch(
        f"{API}/users/{camp.organizer.id}", json={"role": "canvasser"}, headers=camp.admin.headers
    )
    assert changed.status_code == 200 and changed.json()["role"] == "canvasser"
    assert await status(client, camp.organizer.headers, "/people") == 401
    again = await signed_in(client, camp.organizer.email)
    assert await status(client, again, "/people") == 403


async def test_deactivating_ends_the_sessions_until_reactivated(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    url = f"{API}/users/{camp.canvasser.id}"
    off = await client.patch(url, json={"active": False}, headers=camp.admin.headers)
    assert off.status_code == 200 and off.json()["active"] is False
    assert await status(client, camp.canvasser.headers) == 401
    assert (await login(client, camp.canvasser.email)).status_code == 403
    listed = (await client.get(f"{API}/users", headers=camp.admin.headers)).json()["results"]
    assert {u["id"]: u["active"] for u in listed}[camp.canvasser.id] is False
    on = await client.patch(url, json={"active": True}, headers=camp.admin.headers)
    assert on.status_code == 200 and on.json()["active"] is True
    assert await status(client, await signed_in(client, camp.canvasser.email)) == 200
    assert await status(client, camp.canvasser.headers) == 401  # ended sessions stay ended


async def test_removing_a_member_ends_everything_but_their_history(
    client: httpx.AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    url = f"{API}/users/{camp.data_entry.id}"
    assert (await client.delete(url, headers=camp.admin.headers)).status_code == 204
    assert await status(client, camp.data_entry.headers) == 401
    assert (await login(client, camp.data_entry.email)).status_code == 401
    assert (await client.get(url, headers=camp.admin.headers)).status_code == 404
    assert (await client.delete(url, headers=camp.admin.headers)).status_code == 404
    rows = await sql(connection, "SELECT 1 FROM app_user WHERE id = :u", u=camp.data_entry.id)
    assert rows == []
    # The e-mail can join again, as a new account.
    back = await add_member(client, camp.admin, camp.data_entry.email, role="data_entry")
    assert back["id"] != camp.data_entry.id


async def test_an_admin_sets_a_temporary_password(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    """A forgotten password: the admin sets a temporary one; every session of the member
    ends; the temporary password opens only the way to choose a new one."""
    reset = await client.put(
        f"{API}/users/{camp.organizer.id}/password",
        json={"password": "temporary 123"},
        headers=camp.admin.headers,
    )
    assert reset.status_code == 204
    assert await status(client, camp.organizer.headers) == 401
    assert (await login(client, camp.organizer.email)).status_code == 401  # the old password
    temporary = await signed_in(client, camp.organizer.email, "temporary 123")
    me = await client.get(f"{API}/me", headers=temporary)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    blocked = await client.get(f"{API}/people", headers=temporary)
    assert blocked.status_code == 403 and "/me/password" in blocked.json()["detail"]

    body = {"current_password": "temporary 123", "new_password": "my own secret"}
    changed = await client.post(f"{API}/me/password", json=body, headers=temporary)
    assert changed.status_code == 204
    assert await status(client, temporary, "/people") == 200  # this session goes on
    assert (await login(client, camp.organizer.email, "temporary 123")).status_code == 401
    assert (
        await status(client, await signed_in(client, camp.organizer.email, "my own secret")) == 200
    )


async def test_an_admin_may_set_a_password_that_stays(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    reset = await client.put(
        f"{API}/users/{camp.canvasser.id}/password",
        json={"password": "for the event", "must_change_password": False},
        headers=camp.admin.headers,
    )
    assert reset.status_code == 204
    headers = await signed_in(client, camp.canvasser.email, "for the event")
    assert await status(client, headers, "/walk_lists") == 200


async def test_changing_ones_own_password_ends_the_other_sessions(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    laptop = await signed_in(client, camp.canvasser.email)
    body = {"current_password": PASSWORD, "new_password": "a better one"}
    changed = await client.post(f"{API}/me/password", json=body, headers=laptop)
    assert changed.status_code == 204
    assert await status(client, laptop) == 200
    assert await status(client, camp.canvasser.headers) == 401
    assert (await login(client, camp.canvasser.email)).status_code == 401
    assert (await login(client, camp.canvasser.email, "a better one")).status_code == 200


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param(
            {"current_password": "wrong", "new_password": "a better one"},
            "body.current_password",
            id="wrong current password",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": PASSWORD},
            "body.new_password",
            id="the same password",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": "short"},
            "body.new_password",
            id="too short",
        ),
        pytest.param(
            {"current_password": PASSWORD, "new_password": "nul \u0000 inside"},
            "body.new_password",
            id="a NUL",
        ),
    ],
)
async def test_a_password_change_is_checked(
    client: httpx.AsyncClient, camp: CampaignFixture, body: dict, loc: str
) -> None:
    answer = await client.post(f"{API}/me/password", json=body, headers=camp.organizer.headers)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["errors"][0]["loc"] == loc
    assert (await login(client, camp.organizer.email)).status_code == 200  # unchanged


async def test_wrong_current_passwords_are_throttled_like_logins(
    client: httpx.AsyncClient, camp: CampaignFixture, settings: Settings
) -> None:
    """A stolen token cannot be used to guess the password behind it."""
    body = {"current_password": "guess", "new_password": "a better one"}
    for _ in range(settings.login_failures_per_account):
        answer = await client.post(f"{API}/me/password", json=body, headers=camp.organizer.headers)
        assert answer.status_code == 400
    answer = await client.post(f"{API}/me/password", json=body, headers=camp.organizer.headers)
    assert answer.status_code == 429 and "retry-after" in answer.headers


# The last admin.


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("PATCH", "", {"role": "organizer"}, id="demoted"),
        pytest.param("PATCH", "", {"active": False}, id="deactivated"),
        pytest.param("DELETE", "", None, id="removed"),
    ],
)
async def test_the_last_admin_stays(
    client: httpx.AsyncClient, camp: CampaignFixture, method: str, path: str, body: Any
) -> None:
    url = f"{API}/users/{camp.admin.id}{path}"
    refused = await client.request(method, url, json=body, headers=camp.admin.headers)
    assert refused.status_code == 409 and "last admin" in refused.json()["detail"]
    assert await status(client, camp.admin.headers) == 200
    # With a second admin, the first may go.
    second = await add_member(client, camp.admin, "second@alpha.test", role="admin")
    done = await client.request(method, url, json=body, headers=camp.admin.headers)
    assert done.status_code in (200, 204), done.text
    second_headers = await signed_in(client, "second@alpha.test")
    refused = await client.request(
        method, f"{API}/users/{second['id']}", json=body, headers=second_headers
    )
    assert refused.status_code == 409


async def test_a_deactivated_admin_does_not_count_as_the_other_admin(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    second = await add_member(client, camp.admin, "second@alpha.test", role="admin")
    off = await client.patch(
        f"{API}/users/{second['id']}", json={"active": False}, headers=camp.admin.headers
    )
    assert off.status_code == 200
    demote = await client.patch(
        f"{API}/users/{camp.admin.id}", json={"role": "organizer"}, headers=camp.admin.headers
    )
    assert demote.status_code == 409


async def test_member_changes_are_in_the_audit_log(
    client: httpx.AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    url = f"{API}/users/{camp.organizer.id}"
    await client.patch(url, json={"role": "canvasser"}, headers=camp.admin.headers)
    await client.patch(url, json={"active": False}, headers=camp.admin.headers)
    await client.delete(url, headers=camp.admin.headers)
    rows = await sql(
        connection,
        "SELECT action FROM audit_entry WHERE campaign_id = :c AND :u = ANY(object_ids)"
        " ORDER BY id",
        c=camp.id,
        u=camp.organizer.id,
    )
    actions = [r.action for r in rows]
    assert actions[0] == "member.role_change" and "account.deactivate" in actions
    assert actions[-1] == "member.remove"


# Roles and tenancy of every new endpoint.

MEMBER_ENDPOINTS = [
    ("GET", "/users/{id}", None),
    ("PATCH", "/users/{id}", {"name": "Renamed"}),
    ("DELETE", "/users/{id}", None),
    ("PUT", "/users/{id}/password", {"password": "long enough"}),
    ("DELETE", "/users/{id}/sessions", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [pytest.param(*e, id=f"{e[0]} {e[1]}") for e in MEMBER_ENDPOINTS],
)
async def test_member_endpoints_are_for_the_campaigns_admins(
    client: httpx.AsyncClient,
    camp: CampaignFixture,
    other: CampaignFixture,
    method: str,
    path: str,
    body: Any,
) -> None:
    url = API + path.replace("{id}", str(camp.canvasser.id))
    for member in (camp.organizer, camp.canvasser, camp.data_entry):
        refused = await client.request(method, url, json=body, headers=member.headers)
        assert refused.status_code == 403, (member.role, refused.text)
    foreign = await client.request(method, url, json=body, headers=other.admin.headers)
    assert foreign.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    missing = API + path.replace("{id}", "999999999")
    assert (
        await client.request(method, missing, json=body, headers=camp.admin.headers)
    ).status_code == 404
    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401
    # the account is untouched by all of these
    assert await status(client, camp.canvasser.headers, "/walk_lists") == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/me", None, id="GET /me"),
        pytest.param("/me/password", {"current_password": "x", "new_password": "y" * 8}, id="pw"),
        pytest.param("/auth/logout", None, id="logout"),
    ],
)
async def test_own_account_endpoints_need_a_member_token(
    client: httpx.AsyncClient, path: str, body: Any
) -> None:
    method = "GET" if path == "/me" else "POST"
    answer = await client.request(method, f"{API}{path}", json=body)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"role": "boss"}, id="unknown role"),
        pytest.param({"active": "maybe"}, id="active not a boolean"),
        pytest.param({"email": "new@x.test"}, id="the e-mail cannot change"),
        pytest.param({"name": ""}, id="empty name"),
    ],
)
async def test_a_member_patch_is_checked(
    client: httpx.AsyncClient, camp: CampaignFixture, body: dict
) -> None:
    answer = await client.patch(
        f"{API}/users/{camp.canvasser.id}", json=body, headers=camp.admin.headers
    )
    assert answer.status_code == 422
    assert re.match(r"body\.", answer.json()["errors"][0]["loc"])
