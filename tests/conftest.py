"""Test harness: a real PostGIS, migrated once per run into a template database; each worker
gets a copy, and each test runs inside a transaction that is rolled back at its end.

Roles, as in production: the app under test runs as `doorstep_api`, the role that row-level
security holds to one campaign per transaction (its sessions `SET ROLE` to it at their start
and back at their commit, on the test's one connection); the test itself and the fixture
builders that need the owner (`owner_sessionmaker`: making campaigns, as the CLI does) work as
the owner, whom the policies do not hold, so a test can look at every campaign's rows.
"""

import asyncio
import contextlib
import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool

from alembic import command
from app.config import DEV_API_ROLE, Settings
from app.main import create_app
from app.models import Campaign, Membership, Role, User
from app.services.access.auth import hash_password
from app.services.access.sessions import open_session
from tests.builders import (
    PASSWORD,
    AssignedList,
    CampaignFixture,
    CampaignWorld,
    Member,
    ScratchDatabase,
    alembic_config,
    app_client,
    build_assigned_list,
    build_campaign_world,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The run's start time leads its databases' names, so that a run drops only the leftovers of
# runs long finished, never the databases of another run going on at the same time.
RUN_STARTED = int(os.environ.get("DOORSTEP_TEST_RUN_STARTED", time.time()))
os.environ["DOORSTEP_TEST_RUN_STARTED"] = str(RUN_STARTED)  # the same for xdist workers
RUN_ID = f"{RUN_STARTED}_" + os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]
STALE_AFTER_S = 3 * 3600
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
TEMPLATE = f"doorstep_tpl_{RUN_ID}"


# The tests' own signing key, new for every run (never a published or empty one).
SECRET_KEY = secrets.token_urlsafe(48)
# The group role the migrations grant the tables to, which the policies hold.
API_ROLE = "doorstep_api"
# What the app's connections say at their start to act as it (a startup parameter).
AS_API_ROLE = {"jit": "off", "role": API_ROLE}


def _base_settings() -> Settings:
    return Settings()


def _dsn(url: str, database: str | None = None) -> str:
    """A libpq DSN (for asyncpg) from the app's SQLAlchemy URL, optionally another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "heads")


async def _ensure_api_login(admin: asyncpg.Connection) -> None:
    """The local login role of the API server (what `scripts/localdb.sh ensure` makes), for a
    cluster set up before it existed. Roles are the cluster's: another run may make it too."""
    if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", DEV_API_ROLE):
        return
    with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        await admin.execute(f"CREATE ROLE {DEV_API_ROLE} LOGIN IN ROLE {API_ROLE}")


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """This worker's database, copied from a template migrated once for the whole run."""
    base = _base_settings().database_url
    admin = await asyncpg.connect(_dsn(base))
    try:
        await admin.execute("SELECT pg_advisory_lock(73173)")
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", TEMPLATE)
            if not exists:
                names = await admin.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'doorstep\\_tpl\\_%'"
                    " OR datname LIKE 'doorstep\\_test\\_%'"
                )
                for row in names:
                    started = re.match(r"doorstep_(?:tpl|test)_(\d+)_", row["datname"])
                    if started is None or int(started[1]) < RUN_STARTED - STALE_AFTER_S:
                        await admin.execute(
                            f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)'
                        )
                await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
                template_url = make_url(base).set(database=TEMPLATE).render_as_string(False)
                await asyncio.to_thread(_migrate, template_url)
                await _ensure_api_login(admin)
        finally:
            await admin.execute("SELECT pg_advisory_unlock(73173)")
        name = f"doorstep_test_{RUN_ID}_{WORKER}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        # Commits need not wait for the disk here (the local cluster is durable for `make run`).
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[ScratchDatabase]:
    """A database of its own, empty (not migrated), dropped after the test: for tests of
    migrations."""
    base = _base_settings().database_url
    name = f"doorstep_test_{RUN_ID}_{WORKER}_empty"
    admin = await asyncpg.connect(_dsn(base))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        yield ScratchDatabase(url, _dsn(url))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(
        database_url, poolclass=NullPool, connect_args={"server_settings": {"jit": "off"}}
    )
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection whose transaction is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Import jobs run inline: no worker can see the test's rolled-back transaction.
    return Settings(database_url=database_url, secret_key=SECRET_KEY, job_runner="inline")


class _ApiRoleSession(Session):
    """The app's sessions in the tests: each transaction (a savepoint of the test's) starts
    as the API role."""


def _begin_as_api_role(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if not transaction.nested:
        connection.exec_driver_sql(f"SET ROLE {API_ROLE}")


event.listen(_ApiRoleSession, "after_begin", _begin_as_api_role)


class AppSession(AsyncSession):
    """Commits as the app's session does (a savepoint released), after handing the test's
    connection back to the owner with no campaign named: what a pooled connection's next
    transaction would start with. A rollback undoes both by itself."""

    async def commit(self) -> None:
        if self.in_transaction():
            await self.flush()
            await self.execute(text("RESET ROLE"))
            await self.execute(text("SELECT set_config('app.campaign_id', '', true)"))
        await super().commit()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[Any]:
    """The app's sessions: as the API role (row-level security applies). Each app "commit"
    releases a savepoint inside the test's transaction."""
    return async_sessionmaker(
        bind=connection,
        class_=AppSession,
        sync_session_class=_ApiRoleSession,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def owner_sessionmaker(connection: AsyncConnection) -> async_sessionmaker[Any]:
    """Sessions as the owner of the tables, as the CLI has: for fixtures that make campaigns."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def client(
    settings: Settings, sessionmaker: async_sessionmaker[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessionmaker)
    async with app_client(app) as c:
        yield c


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


async def make_campaign(
    sessionmaker: async_sessionmaker[Any], settings: Settings, slug: str, password_hash: str
) -> CampaignFixture:
    """A campaign with one account of each role, each signed in (a session and its token, no
    login round trip). As the owner: campaigns are the CLI's to make."""
    async with sessionmaker() as session:
        campaign = Campaign(slug=slug, name=f"Campaign {slug}")
        session.add(campaign)
        await session.flush()
        assert campaign.id is not None
        members: dict[Role, Member] = {}
        for role in Role:
            email = f"{role.value}@{slug}.test"
            user = User(
                campaign_id=campaign.id,
                email=email,
                name=f"{role.value.title()} of {slug}",
                password_hash=password_hash,
            )
            session.add(user)
            await session.flush()
            assert user.id is not None
            session.add(Membership(campaign_id=campaign.id, user_id=user.id, role=role.value))
            await session.flush()
            token = await open_session(session, settings, campaign.id, user.id)
            headers = {"Authorization": f"Bearer {token.access_token}"}
            members[role] = Member(user.id, email, role, campaign.id, headers)
        await session.commit()
        return CampaignFixture(
            id=campaign.id,
            slug=slug,
            admin=members[Role.admin],
            organizer=members[Role.organizer],
            canvasser=members[Role.canvasser],
            data_entry=members[Role.data_entry],
        )


@pytest.fixture
async def camp(
    owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> CampaignFixture:
    return await make_campaign(owner_sessionmaker, settings, "alpha", password_hash)


@pytest.fixture
async def other(
    owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> CampaignFixture:
    """A second campaign, for tenant isolation checks."""
    return await make_campaign(owner_sessionmaker, settings, "beta", password_hash)


@pytest.fixture
async def live_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[Any]]:
    """Committed sessions on a real pool, for tests of concurrent requests (which one shared
    test connection cannot serve), as the API role. Whatever they create must be removed by
    the test's fixture."""
    engine = create_async_engine(
        database_url, pool_size=12, connect_args={"server_settings": AS_API_ROLE}
    )
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def live_owner_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[Any]]:
    """Committed sessions as the owner, for the live fixtures' campaigns."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def live_camp(
    live_owner_sessionmaker: async_sessionmaker[Any], settings: Settings, password_hash: str
) -> AsyncIterator[CampaignFixture]:
    slug = f"live-{uuid.uuid4().hex[:8]}"
    camp = await make_campaign(live_owner_sessionmaker, settings, slug, password_hash)
    yield camp
    async with live_owner_sessionmaker() as session:
        # its accounts, sessions and everything else of the campaign go with it
        await session.execute(text("DELETE FROM campaign WHERE id = :c"), {"c": camp.id})
        await session.commit()


@pytest.fixture
async def live_client(
    settings: Settings, live_sessionmaker: async_sessionmaker[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, live_sessionmaker)
    async with app_client(app) as c:
        yield c


@pytest.fixture
async def world(client: httpx.AsyncClient, camp: CampaignFixture) -> CampaignWorld:
    """The campaign world of `camp` (see `builders.build_campaign_world`)."""
    return await build_campaign_world(client, camp)


@pytest.fixture
async def assigned(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld
) -> AssignedList:
    """A walk list on `world`, assigned to `camp.canvasser`, and the payload their phone
    pulled."""
    return await build_assigned_list(client, camp, world)
