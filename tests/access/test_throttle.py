"""Login brute force and list-code guessing, throttled in PostgreSQL (issue 11, item 4): per
account and per client address, before any hashing, shared by every process, and keyed on
X-Forwarded-For only behind a trusted proxy."""

import ipaddress
from collections.abc import AsyncIterator, Iterator
from typing import Any

import argon2
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine

from app.config import Settings
from app.main import create_app
from app.services.access.throttle import (
    client_address,
    list_code_address_key,
    login_account_key,
    login_address_key,
)
from tests.builders import (
    API,
    PASSWORD,
    AssignedList,
    CampaignFixture,
    add_member,
    bearer,
    create_list_code,
    login,
    sql,
)

PER_ACCOUNT = 10  # Settings.login_failures_per_account


@pytest.fixture
def argon2_verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the argon2 password verifications (the library's, called through)."""
    calls = [0]
    original = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, hash: str, password: str | bytes) -> bool:
        calls[0] += 1
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    yield calls


def client_at(app: Any, address: str) -> httpx.AsyncClient:
    """A client of the app whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_200_wrong_passwords_meet_429_and_no_more_hashing(
    client: httpx.AsyncClient, camp: CampaignFixture, argon2_verifications: list[int]
) -> None:
    """The attack: 200 wrong passwords were 200 times 401, each a 64 MiB argon2 hash."""
    statuses = []
    for n in range(200):
        statuses.append((await login(client, camp.admin.email, f"guess {n}")).status_code)
    assert statuses[:PER_ACCOUNT] == [401] * PER_ACCOUNT
    assert set(statuses[PER_ACCOUNT:]) == {429}
    assert argon2_verifications[0] == PER_ACCOUNT  # none once throttled
    right = await login(client, camp.admin.email, PASSWORD)  # the right one is refused too
    assert right.status_code == 429 and argon2_verifications[0] == PER_ACCOUNT
    assert right.headers["content-type"] == "application/problem+json"
    assert 1 <= int(right.headers["retry-after"]) <= 15 * 60


async def test_the_account_is_throttled_from_every_address(
    settings: Settings, sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    app = create_app(settings, sessionmaker)
    for n in range(PER_ACCOUNT):
        async with client_at(app, f"198.51.100.{n + 1}") as c:
            assert (await login(c, camp.admin.email, "wrong")).status_code == 401
    async with client_at(app, "198.51.100.99") as fresh:
        assert (await login(fresh, camp.admin.email)).status_code == 429
        # other accounts are not affected from there
        assert (await login(fresh, camp.organizer.email)).status_code == 200


async def test_one_noisy_address_does_not_lock_out_its_neighbours_accounts(
    settings: Settings, sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    """Per-address limits are higher than per-account ones: a volunteer mistyping their
    password, behind the same address as others, locks out only their own account."""
    app = create_app(settings, sessionmaker)
    async with client_at(app, "203.0.113.7") as office:
        for _ in range(PER_ACCOUNT):
            await login(office, camp.canvasser.email, "typo")
        assert (await login(office, camp.canvasser.email)).status_code == 429
        for member in (camp.admin, camp.organizer, camp.data_entry):
            assert (await login(office, member.email)).status_code == 200


async def test_an_address_is_throttled_across_accounts(
    settings: Settings, sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    """Spraying one password over many e-mails meets the per-address limit."""
    app = create_app(settings, sessionmaker)
    limit = settings.login_failures_per_address
    async with client_at(app, "203.0.113.8") as sprayer:
        for n in range(limit):
            assert (await login(sprayer, f"user{n}@x.test", "Summer2026!")).status_code == 401
        assert (await login(sprayer, camp.admin.email)).status_code == 429
    async with client_at(app, "203.0.113.9") as elsewhere:
        assert (await login(elsewhere, camp.admin.email)).status_code == 200


async def test_a_successful_login_clears_the_accounts_failures(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    for _ in range(PER_ACCOUNT - 1):
        await login(client, camp.admin.email, "typo")
    assert (await login(client, camp.admin.email)).status_code == 200
    for _ in range(PER_ACCOUNT - 1):
        assert (await login(client, camp.admin.email, "typo")).status_code == 401
    assert (await login(client, camp.admin.email)).status_code == 200


async def test_failures_older_than_the_window_do_not_count(
    client: httpx.AsyncClient, camp: CampaignFixture, connection: AsyncConnection
) -> None:
    for _ in range(PER_ACCOUNT):
        await login(client, camp.admin.email, "typo")
    assert (await login(client, camp.admin.email)).status_code == 429
    await sql(connection, "UPDATE auth_failure SET at = at - interval '16 minutes'")
    assert (await login(client, camp.admin.email)).status_code == 200


async def test_a_user_of_two_campaigns_can_name_the_one_not_throttled(
    client: httpx.AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    await add_member(client, camp.admin, "two@mail.test", "password in alpha")
    await add_member(client, other.admin, "two@mail.test", "password in beta")
    for _ in range(PER_ACCOUNT):
        await login(client, "two@mail.test", "wrong", campaign="alpha")
    assert (await login(client, "two@mail.test", "password in beta")).status_code == 429
    named = await login(client, "two@mail.test", "password in beta", campaign="beta")
    assert named.status_code == 200


async def test_unknown_and_known_emails_are_throttled_alike(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    """So that 429 does not tell which e-mails have accounts."""
    for email in (camp.admin.email, "nobody@alpha.test"):
        answers = [(await login(client, email, "wrong")).status_code for _ in range(11)]
        assert answers == [401] * PER_ACCOUNT + [429]


async def test_the_keys_are_stored_as_keyed_hashes(
    client: httpx.AsyncClient,
    camp: CampaignFixture,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    """Neither the e-mail nor the address is stored: HMACs under the server's key."""
    await login(client, camp.admin.email, "wrong")
    rows = await sql(connection, "SELECT * FROM auth_failure")
    assert {tuple(r._mapping) for r in rows} == {("id", "key", "at")}
    assert {bytes(r.key) for r in rows} == {
        login_account_key(settings, camp.id, camp.admin.email).digest,
        login_address_key(settings, "127.0.0.1").digest,
    }


# Shared by every process.


@pytest.fixture
async def two_apps(
    settings: Settings, database_url: str, live_camp: CampaignFixture
) -> AsyncIterator[tuple[Any, Any]]:
    """Two app instances, each with its own engine and pool on the same database (as two
    processes or two servers would be); the failures they commit are removed afterwards."""
    engines = [create_async_engine(database_url, pool_size=2) for _ in range(2)]
    apps = [
        create_app(settings, async_sessionmaker(engine, expire_on_commit=False))
        for engine in engines
    ]
    yield apps[0], apps[1]
    keys = [
        login_account_key(settings, live_camp.id, live_camp.admin.email).digest,
        login_address_key(settings, "192.0.2.10").digest,
        login_address_key(settings, "192.0.2.11").digest,
    ]
    async with engines[0].begin() as conn:
        await conn.execute(text("DELETE FROM auth_failure WHERE key = ANY(:keys)"), {"keys": keys})
    for engine in engines:
        await engine.dispose()


async def test_the_throttle_is_shared_by_two_app_instances(
    two_apps: tuple[Any, Any], live_camp: CampaignFixture
) -> None:
    first, second = two_apps
    async with client_at(first, "192.0.2.10") as one, client_at(second, "192.0.2.11") as two:
        for n in range(PER_ACCOUNT):
            answer = await login(one if n % 2 else two, live_camp.admin.email, "wrong")
            assert answer.status_code == 401
        assert (await login(one, live_camp.admin.email)).status_code == 429
        assert (await login(two, live_camp.admin.email)).status_code == 429


# Client addresses behind proxies.


def nets(*cidrs: str) -> list[Any]:
    return [ipaddress.ip_network(c) for c in cidrs]


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "client"),
    [
        pytest.param("203.0.113.5", ["1.2.3.4"], [], "203.0.113.5", id="no trusted proxy"),
        pytest.param(
            "203.0.113.5", ["1.2.3.4"], ["10.0.0.0/8"], "203.0.113.5", id="peer not a proxy"
        ),
        pytest.param("10.0.0.2", ["198.51.100.4"], ["10.0.0.0/8"], "198.51.100.4", id="proxied"),
        pytest.param(
            "10.0.0.2",
            ["6.6.6.6, 198.51.100.4"],
            ["10.0.0.0/8"],
            "198.51.100.4",
            id="client-written hops ignored",
        ),
        pytest.param(
            "10.0.0.2",
            ["6.6.6.6", "198.51.100.4, 10.0.0.9"],
            ["10.0.0.0/8"],
            "198.51.100.4",
            id="two proxies, two headers",
        ),
        pytest.param(
            "10.0.0.2", ["junk, 10.0.0.9"], ["10.0.0.0/8"], "10.0.0.9", id="unreadable hop"
        ),
        pytest.param("10.0.0.2", [], ["10.0.0.0/8"], "10.0.0.2", id="no header"),
        pytest.param(
            "10.0.0.2", ["198.51.100.4:5123"], ["10.0.0.0/8"], "198.51.100.4", id="with a port"
        ),
        pytest.param(
            "2001:db8::1",
            [],
            [],
            "2001:db8::/64",
            id="IPv6 by its /64",
        ),
        pytest.param("::ffff:198.51.100.4", [], [], "198.51.100.4", id="IPv4-mapped IPv6 as IPv4"),
    ],
)
def test_the_client_address(
    peer: str, forwarded: list[str], proxies: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, nets(*proxies)) == client


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    settings: Settings, sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    """The attack: a new fake X-Forwarded-For on every request was a new address each time."""
    app = create_app(settings, sessionmaker)
    limit = settings.login_failures_per_address
    async with client_at(app, "203.0.113.50") as attacker:
        for n in range(limit):
            fake = {"X-Forwarded-For": f"198.51.100.{n}"}
            answer = await attacker.post(
                f"{API}/auth/token",
                data={"username": f"u{n}@x.test", "password": "x"},
                headers=fake,
            )
            assert answer.status_code == 401
        assert (await login(attacker, camp.admin.email)).status_code == 429


async def test_forwarded_for_names_the_client_behind_a_trusted_proxy(
    settings: Settings, sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    proxied = settings.model_copy(update={"trusted_proxies": nets("10.0.0.0/8")})
    app = create_app(proxied, sessionmaker)
    limit = settings.login_failures_per_address
    async with client_at(app, "10.0.0.2") as proxy:
        noisy = {"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}
        for n in range(limit):
            answer = await proxy.post(
                f"{API}/auth/token",
                data={"username": f"u{n}@x.test", "password": "x"},
                headers=noisy,
            )
            assert answer.status_code == 401
        refused = await proxy.post(
            f"{API}/auth/token",
            data={"username": camp.admin.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "7.7.7.7, 198.51.100.1"},  # a new left part: same client
        )
        assert refused.status_code == 429
        neighbour = await proxy.post(
            f"{API}/auth/token",
            data={"username": camp.admin.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.2"},
        )
        assert neighbour.status_code == 200


# List codes.


async def test_unknown_list_codes_are_throttled_per_address_in_the_database(
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[Any],
    camp: CampaignFixture,
    assigned: AssignedList,
    connection: AsyncConnection,
) -> None:
    code = (await create_list_code(client, camp, assigned.walk_list["id"]))["code"]
    limit = settings.list_code_failures_per_address
    app = create_app(settings, sessionmaker)
    async with client_at(app, "203.0.113.20") as guesser:
        for n in range(limit):
            guess = {"code": f"WRONG{n:03d}", "name": "x"}
            assert (await guesser.post(f"{API}/auth/list_code", json=guess)).status_code == 401
        right = await guesser.post(f"{API}/auth/list_code", json={"code": code, "name": "x"})
        assert right.status_code == 429  # the right code too, or guessing could go on behind it
        assert 1 <= int(right.headers["retry-after"]) <= settings.list_code_failure_window_s
    async with client_at(app, "203.0.113.21") as volunteer:
        ok = await volunteer.post(f"{API}/auth/list_code", json={"code": code, "name": "Sam"})
        assert ok.status_code == 200
    [count] = await sql(
        connection,
        "SELECT count(*) FROM auth_failure WHERE key = :k",
        k=list_code_address_key(settings, "203.0.113.20").digest,
    )
    assert count[0] == limit


async def test_an_expired_or_revoked_code_is_not_counted_as_a_guess(
    client: httpx.AsyncClient,
    settings: Settings,
    camp: CampaignFixture,
    assigned: AssignedList,
) -> None:
    """Volunteers with yesterday's code are not guessers: they do not use up the address."""
    list_id = assigned.walk_list["id"]
    old = await create_list_code(client, camp, list_id)
    url = f"{API}/walk_lists/{list_id}/codes/{old['code']}"
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 204
    for _ in range(settings.list_code_failures_per_address + 5):
        stale = await client.post(f"{API}/auth/list_code", json={"code": old["code"], "name": "x"})
        assert stale.status_code == 401
    fresh = await create_list_code(client, camp, list_id)
    ok = await client.post(f"{API}/auth/list_code", json={"code": fresh["code"], "name": "x"})
    assert ok.status_code == 200


async def test_a_member_password_login_needs_no_list_code_budget(
    client: httpx.AsyncClient, camp: CampaignFixture, settings: Settings
) -> None:
    """The two throttles are separate: guessing codes does not block password logins."""
    for n in range(settings.list_code_failures_per_address):
        await client.post(f"{API}/auth/list_code", json={"code": f"NOPE{n:04d}", "name": "x"})
    me = await client.get(f"{API}/me", headers=bearer(await login(client, camp.admin.email)))
    assert me.status_code == 200
