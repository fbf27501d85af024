"""Accounts belong to one campaign: no campaign can set, learn or use the password of an account
that another campaign grants rights to (issue 11, item 1)."""

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.builders import (
    API,
    PASSWORD,
    CampaignFixture,
    add_member,
    bearer,
    login,
    sql,
)

VICTIM = "x@mail.test"
B_PASSWORD = "known to beta's admin"
A_PASSWORD = "only the owner knows"


async def me(client: AsyncClient, headers: dict[str, str]) -> dict:
    response = await client.get(f"{API}/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_another_campaigns_admin_cannot_take_over_an_account(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    """The attack: beta's admin creates x@mail with a password they know; alpha later adds
    x@mail as organizer. Before, beta's admin could then sign in to alpha and read its voters."""
    planted = await add_member(client, other.admin, VICTIM, B_PASSWORD, name="Planted")
    real = await add_member(client, camp.admin, VICTIM, A_PASSWORD, name="Real Person")
    # Alpha's answer is alpha's own new account: its name, not the planted one's, a new id.
    assert real["name"] == "Real Person" and real["id"] != planted["id"]

    # Beta's password opens nothing in alpha, named or not.
    assert (await login(client, VICTIM, B_PASSWORD, campaign="alpha")).status_code == 401
    into_beta = await me(client, bearer(await login(client, VICTIM, B_PASSWORD)))
    assert into_beta["campaign"]["slug"] == "beta" and into_beta["role"] == "organizer"
    assert into_beta["user"]["id"] == planted["id"]

    # Alpha's user signs in without naming a campaign, into alpha, with their own password.
    into_alpha = await me(client, bearer(await login(client, VICTIM, A_PASSWORD)))
    assert into_alpha["campaign"]["slug"] == "alpha" and into_alpha["user"]["id"] == real["id"]
    assert into_alpha["user"]["name"] == "Real Person"


async def test_adding_an_email_of_another_campaign_reveals_nothing_of_it(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    """The other order: alpha's account exists first; beta's admin adds the same e-mail."""
    real = await add_member(client, camp.admin, VICTIM, A_PASSWORD, name="Real Person")
    body = {"email": VICTIM, "name": "Probe", "role": "admin", "password": B_PASSWORD}
    probe = await client.post(f"{API}/users", json=body, headers=other.admin.headers)
    assert probe.status_code == 201, probe.text
    assert probe.json()["id"] != real["id"] and probe.json()["name"] == "Probe"
    assert "Real Person" not in probe.text
    listed = (await client.get(f"{API}/users", headers=other.admin.headers)).json()["results"]
    assert real["id"] not in {u["id"] for u in listed}
    assert {u["name"] for u in listed if u["email"] == VICTIM} == {"Probe"}
    # Alpha's account is untouched: its password, its name, its role.
    alpha = await me(client, bearer(await login(client, VICTIM, A_PASSWORD, campaign="alpha")))
    assert alpha["user"]["name"] == "Real Person" and alpha["role"] == "organizer"
    # Beta's admin using another campaign's admin id gets the 404 of a missing id.
    foreign = await client.get(f"{API}/users/{real['id']}", headers=other.admin.headers)
    assert foreign.status_code == 404


async def test_an_email_conflicts_only_within_the_campaign(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    await add_member(client, other.admin, VICTIM)
    await add_member(client, camp.admin, VICTIM)
    again = await client.post(
        f"{API}/users",
        json={"email": VICTIM.upper(), "name": "X", "role": "canvasser", "password": PASSWORD},
        headers=camp.admin.headers,
    )
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {"loc": "body.email", "message": "already has an account in this campaign"}
    ]


async def test_one_password_for_two_campaigns_asks_which(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    """Someone with the same password in both campaigns is asked for the campaign (the two
    slugs: they proved the password for both), never locked out."""
    await add_member(client, camp.admin, VICTIM, A_PASSWORD)
    await add_member(client, other.admin, VICTIM, A_PASSWORD, role="canvasser")
    ambiguous = await login(client, VICTIM, A_PASSWORD)
    assert ambiguous.status_code == 400
    assert ambiguous.headers["content-type"] == "application/problem+json"
    [problem] = ambiguous.json()["errors"]
    assert problem["loc"] == "body.campaign" and "alpha, beta" in problem["message"]
    beta = await me(client, bearer(await login(client, VICTIM, A_PASSWORD, campaign="beta")))
    assert beta["campaign"]["slug"] == "beta" and beta["role"] == "canvasser"


async def test_a_wrong_password_names_no_campaign(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    await add_member(client, camp.admin, VICTIM, A_PASSWORD)
    await add_member(client, other.admin, VICTIM, B_PASSWORD)
    for attempt in (
        await login(client, VICTIM, "wrong password"),
        await login(client, VICTIM, "wrong password", campaign="alpha"),
        await login(client, VICTIM, A_PASSWORD, campaign="beta"),
        await login(client, VICTIM, A_PASSWORD, campaign="no-such-campaign"),
        await login(client, "nobody@mail.test", A_PASSWORD),
    ):
        assert attempt.status_code == 401
        assert attempt.json()["detail"] == "Incorrect email or password"
        assert "alpha" not in attempt.text and "beta" not in attempt.text


async def test_a_deactivated_account_is_told_so_only_with_its_password(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    """Deactivated in alpha, active in beta with the same password: login goes to beta."""
    alpha = await add_member(client, camp.admin, VICTIM, A_PASSWORD)
    await add_member(client, other.admin, VICTIM, A_PASSWORD)
    off = await client.patch(
        f"{API}/users/{alpha['id']}", json={"active": False}, headers=camp.admin.headers
    )
    assert off.status_code == 200 and off.json()["active"] is False
    beta = await me(client, bearer(await login(client, VICTIM, A_PASSWORD)))
    assert beta["campaign"]["slug"] == "beta"
    named = await login(client, VICTIM, A_PASSWORD, campaign="alpha")
    assert named.status_code == 403 and "deactivated" in named.json()["detail"]
    wrong = await login(client, VICTIM, "wrong password", campaign="alpha")
    assert wrong.status_code == 401 and "deactivated" not in wrong.text


async def test_every_account_row_carries_its_campaign(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, connection: AsyncConnection
) -> None:
    """Two accounts, two rows, two password hashes; each role row in its own campaign."""
    await add_member(client, camp.admin, VICTIM, A_PASSWORD)
    await add_member(client, other.admin, VICTIM, B_PASSWORD)
    rows = await sql(
        connection,
        "SELECT u.campaign_id, u.password_hash, m.campaign_id AS m_campaign"
        " FROM app_user u JOIN membership m ON m.user_id = u.id WHERE u.email = :e"
        " ORDER BY u.campaign_id",
        e=VICTIM,
    )
    assert [r.campaign_id for r in rows] == [camp.id, other.id]
    assert all(r.campaign_id == r.m_campaign for r in rows)
    assert rows[0].password_hash != rows[1].password_hash
