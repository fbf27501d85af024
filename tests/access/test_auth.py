"""Login, tokens, /me and user management; roles and tenancy on each."""

import time

import jwt
import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from tests.builders import API, PASSWORD, CampaignFixture, sql


async def login(
    client: AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> Response:
    """Sign in with a password (and `campaign`, when the user has several)."""
    return await client.post(
        f"{API}/auth/token", data={"username": email, "password": password, **extra}
    )


async def test_password_login_gives_a_working_bearer_token(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    response = await login(client, camp.organizer.email.upper())  # e-mail is case-insensitive
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "user": {
            "id": camp.organizer.id,
            "email": camp.organizer.email,
            "name": "Organizer of alpha",
        },
        "campaign": {"id": camp.id, "slug": "alpha", "name": "Campaign alpha"},
        "role": "organizer",
        "must_change_password": False,
    }


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("admin@alpha.test", "wrong password", id="wrong password"),
        pytest.param("nobody@x.test", PASSWORD, id="unknown e-mail"),
    ],
)
async def test_wrong_credentials_are_401_problems(
    client: AsyncClient, camp: CampaignFixture, email: str, password: str
) -> None:
    response = await login(client, email, password)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_a_login_without_a_password_is_422(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    missing = await client.post(f"{API}/auth/token", data={"username": camp.admin.email})
    assert missing.status_code == 422
    assert any(e["loc"] == "body.password" for e in missing.json()["errors"])


async def test_bad_expired_and_revoked_tokens(
    client: AsyncClient, camp: CampaignFixture, settings: Settings, connection: AsyncConnection
) -> None:
    assert (await client.get(f"{API}/me")).status_code == 401
    bad = await client.get(f"{API}/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    expired = jwt.encode(
        {"sub": str(camp.admin.id), "cid": camp.id, "exp": int(time.time()) - 10},
        settings.secret_key,
        algorithm="HS256",
    )
    response = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    forged = jwt.encode(
        {"sub": str(camp.admin.id), "cid": camp.id, "exp": int(time.time()) + 60},
        "another-secret-another-secret-another-secret",
        algorithm="HS256",
    )
    response = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    # A token without a session (as every token was before sessions) is refused.
    sessionless = jwt.encode(
        {"sub": str(camp.admin.id), "cid": camp.id, "exp": int(time.time()) + 60},
        settings.secret_key,
        algorithm="HS256",
    )
    response = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {sessionless}"})
    assert response.status_code == 401
    # A member whose role row is gone loses access with the token they still hold.
    await sql(connection, "DELETE FROM membership WHERE user_id = :u", u=camp.organizer.id)
    assert (await client.get(f"{API}/me", headers=camp.organizer.headers)).status_code == 401


async def test_admin_creates_and_lists_users(client: AsyncClient, camp: CampaignFixture) -> None:
    body = {
        "email": " New.Person@Example.org ",
        "name": "New Person",
        "role": "canvasser",
        "password": "long enough",
    }
    created = await client.post(f"{API}/users", json=body, headers=camp.admin.headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "new.person@example.org" and user["role"] == "canvasser"
    assert user["active"] is True and user["must_change_password"] is False
    assert (await login(client, "new.person@example.org", "long enough")).status_code == 200
    again = await client.post(f"{API}/users", json=body, headers=camp.admin.headers)
    assert again.status_code == 409

    page = await client.get(f"{API}/users", params={"limit": 3}, headers=camp.admin.headers)
    assert page.status_code == 200
    first = page.json()
    assert len(first["results"]) == 3 and first["next"]
    rest = (await client.get(first["next"], headers=camp.admin.headers)).json()
    emails = {u["email"] for u in first["results"] + rest["results"]}
    assert emails == {
        m.email for m in (camp.admin, camp.organizer, camp.canvasser, camp.data_entry)
    } | {"new.person@example.org"}
    assert rest["next"] is None


async def test_user_endpoints_are_admin_only_and_tenant_scoped(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    body = {"email": "x@y.test", "name": "X", "role": "admin", "password": "long enough"}
    for member in (camp.organizer, camp.canvasser, camp.data_entry):
        assert (
            await client.post(f"{API}/users", json=body, headers=member.headers)
        ).status_code == 403
        assert (await client.get(f"{API}/users", headers=member.headers)).status_code == 403
    listed = (await client.get(f"{API}/users", headers=other.admin.headers)).json()["results"]
    assert camp.admin.id not in {u["id"] for u in listed}


async def test_user_input_is_validated(client: AsyncClient, camp: CampaignFixture) -> None:
    bad = {"email": "not-an-email", "name": "", "role": "boss", "password": "short"}
    response = await client.post(f"{API}/users", json=bad, headers=camp.admin.headers)
    assert response.status_code == 422
    locs = {e["loc"] for e in response.json()["errors"]}
    assert {"body.email", "body.name", "body.role", "body.password"} <= locs
