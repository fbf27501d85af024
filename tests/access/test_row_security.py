"""Row-level security, the second wall (issue 11, item 19): even a query that forgets its
`campaign_id` filter, run by the API's role, reaches only the campaign its transaction names;
with no campaign named it reaches nothing; writes into another campaign are refused; and the
server will not start as a role the policies do not hold.

The attacks run as the app runs (the harness's `sessionmaker`: the API role), with statements
that a buggy service could send; the owner (`connection`) plants and checks the rows.
"""

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings, UnsafeDatabaseRole, api_database_url
from app.db import check_api_role, session_scope
from app.main import create_app
from tests.builders import CampaignFixture, sql

INSUFFICIENT_PRIVILEGE = "42501"  # also "new row violates row-level security policy"


async def plant_people(connection: AsyncConnection, campaign: CampaignFixture) -> int:
    """A door and two voters in the campaign, written as the owner: the door's id."""
    door = await sql(
        connection,
        "INSERT INTO household (campaign_id, address_key, house_number, street)"
        " VALUES (:c, :k, '1', 'Main St') RETURNING id",
        c=campaign.id,
        k=f"1 main st {campaign.slug}",
    )
    for n in (1, 2):
        await sql(
            connection,
            "INSERT INTO person (campaign_id, external_id, household_id, first_name, last_name)"
            " VALUES (:c, :x, :h, 'Voter', :s)",
            c=campaign.id,
            x=f"{campaign.slug}-{n}",
            h=door[0].id,
            s=campaign.slug,
        )
    return int(door[0].id)


@pytest.fixture
async def two_campaigns(
    connection: AsyncConnection, camp: CampaignFixture, other: CampaignFixture
) -> tuple[CampaignFixture, CampaignFixture]:
    await plant_people(connection, camp)
    await plant_people(connection, other)
    return camp, other


def refused(error: pytest.ExceptionInfo[DBAPIError]) -> bool:
    return getattr(error.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE


async def test_a_query_without_its_campaign_filter_sees_only_its_campaign(
    sessionmaker: async_sessionmaker[Any], two_campaigns: tuple[CampaignFixture, ...]
) -> None:
    """The bug the wall is for: `SELECT ... FROM person` with no campaign_id filter."""
    camp, other = two_campaigns
    async with session_scope(sessionmaker, camp.id) as session:
        people = (await session.execute(text("SELECT campaign_id, last_name FROM person"))).all()
        users = (await session.execute(text("SELECT DISTINCT campaign_id FROM app_user"))).all()
        campaigns = (await session.execute(text("SELECT id FROM campaign"))).scalars().all()
    assert sorted(people) == [(camp.id, "alpha"), (camp.id, "alpha")]
    assert users == [(camp.id,)] and campaigns == [camp.id]
    async with session_scope(sessionmaker, other.id) as session:
        people = (await session.execute(text("SELECT campaign_id FROM person"))).scalars().all()
    assert people == [other.id, other.id]


async def test_without_a_campaign_nothing_is_visible(
    sessionmaker: async_sessionmaker[Any],
    connection: AsyncConnection,
    two_campaigns: tuple[CampaignFixture, ...],
) -> None:
    """A session that never named its campaign (a flow that forgot to) reads no tenant row in
    any table, although every table here has rows."""
    tables = [
        row.relname
        for row in await sql(
            connection,
            "SELECT c.relname FROM pg_class c WHERE c.relrowsecurity"
            " AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
        )
    ]
    assert {"person", "household", "app_user", "auth_session", "campaign"} <= set(tables)
    async with session_scope(sessionmaker) as session:
        for table in tables:
            count = (await session.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar()
            assert count == 0, table
    seen_by_owner = await sql(connection, "SELECT count(*) AS n FROM person")
    assert seen_by_owner[0].n == 4


async def test_a_forged_insert_into_another_campaign_is_refused(
    sessionmaker: async_sessionmaker[Any],
    connection: AsyncConnection,
    two_campaigns: tuple[CampaignFixture, ...],
) -> None:
    """A row written with another campaign's id fails the policy's WITH CHECK."""
    camp, other = two_campaigns
    with pytest.raises(DBAPIError) as error:
        async with session_scope(sessionmaker, camp.id) as session:
            await session.execute(
                text("INSERT INTO survey (campaign_id, name) VALUES (:c, 'Planted')"),
                {"c": other.id},
            )
    assert refused(error)
    assert await sql(connection, "SELECT id FROM survey WHERE name = 'Planted'") == []


async def test_another_campaigns_rows_cannot_be_changed_or_taken(
    sessionmaker: async_sessionmaker[Any],
    connection: AsyncConnection,
    two_campaigns: tuple[CampaignFixture, ...],
) -> None:
    """An UPDATE or DELETE without its filter touches only the campaign's own rows; moving an
    own row into another campaign is refused."""
    camp, other = two_campaigns
    async with session_scope(sessionmaker, camp.id) as session:
        await session.execute(text("UPDATE person SET first_name = 'Changed'"))
        await session.execute(text("DELETE FROM auth_session"))
    names = await sql(connection, "SELECT campaign_id, first_name FROM person ORDER BY campaign_id")
    assert [tuple(r) for r in names] == [
        (camp.id, "Changed"),
        (camp.id, "Changed"),
        (other.id, "Voter"),
        (other.id, "Voter"),
    ]
    sessions = await sql(connection, "SELECT DISTINCT campaign_id FROM auth_session")
    assert [r.campaign_id for r in sessions] == [other.id]

    turf = await sql(
        connection,
        "INSERT INTO turf (campaign_id, name, geom) VALUES"
        " (:c, 'Mine', ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326))) RETURNING id",
        c=camp.id,
    )
    with pytest.raises(DBAPIError) as error:
        async with session_scope(sessionmaker, camp.id) as session:
            await session.execute(
                text("UPDATE turf SET campaign_id = :o WHERE id = :t"),
                {"o": other.id, "t": turf[0].id},
            )
    assert refused(error)


async def test_the_audit_log_stays_append_only_for_the_api(
    sessionmaker: async_sessionmaker[Any], camp: CampaignFixture
) -> None:
    """The API's role may add to its campaign's log, never rewrite it (nor may its trigger be
    reached: the role has no UPDATE or DELETE on the table at all)."""
    async with session_scope(sessionmaker, camp.id) as session:
        await session.execute(
            text(
                "INSERT INTO audit_entry (campaign_id, actor_role, action, object_type)"
                " VALUES (:c, 'admin', 'probe', 'person')"
            ),
            {"c": camp.id},
        )
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError) as error:
            async with session_scope(sessionmaker, camp.id) as session:
                await session.execute(text(statement))
        assert refused(error), statement


async def test_an_account_of_another_campaign_cannot_be_named_on_a_result(
    connection: AsyncConnection, two_campaigns: tuple[CampaignFixture, ...]
) -> None:
    """Even the owner cannot record a knock in one campaign by another campaign's canvasser:
    the reference is (campaign_id, canvasser_id)."""
    camp, other = two_campaigns
    door = await sql(connection, "SELECT id FROM household WHERE campaign_id = :c", c=camp.id)
    insert = (
        "INSERT INTO contact (campaign_id, client_id, household_id, canvasser_id, result,"
        " source, knocked_at) VALUES (:c, :u, :h, :by, 'not_home', 'api', now())"
    )
    await sql(connection, insert, c=camp.id, u=uuid.uuid4(), h=door[0].id, by=camp.canvasser.id)
    with pytest.raises(DBAPIError) as error:
        await sql(
            connection, insert, c=camp.id, u=uuid.uuid4(), h=door[0].id, by=other.canvasser.id
        )
    assert getattr(error.value.orig, "sqlstate", None) == "23503"  # foreign_key_violation


async def test_every_tenant_table_is_under_the_policy(connection: AsyncConnection) -> None:
    """A later migration that adds a table with campaign_id must put it under the policy too
    (the statements: `tenant_isolation()` in migration 805d0be899d4)."""
    unguarded = await sql(
        connection,
        "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE a.attname = 'campaign_id' AND NOT a.attisdropped AND c.relkind = 'r'"
        "   AND c.relnamespace = current_schema()::regnamespace"
        "   AND NOT (c.relrowsecurity AND EXISTS (SELECT FROM pg_policy p"
        "            WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'))",
    )
    assert [r.relname for r in unguarded] == []
    # The owner's functions that the API may call past the policies (not an extension's): a
    # fixed search_path each, and the API's alone, not everyone's.
    definers = await sql(
        connection,
        "SELECT p.proname, p.proconfig,"
        "       (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) a"
        "                                    WHERE a.grantee = 0)) AS public"
        " FROM pg_proc p WHERE p.prosecdef"
        "   AND p.pronamespace = current_schema()::regnamespace"
        "   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass"
        "                   AND d.objid = p.oid AND d.deptype = 'e')"
        " ORDER BY 1",
    )
    assert [r.proname for r in definers] == ["analyze_table", "list_code_by_hash", "login_accounts"]
    assert all(r.proconfig == ["search_path=pg_catalog, pg_temp"] for r in definers)
    assert not any(r.public for r in definers)


# The server's refusal to start as a role the policies do not hold.


def production(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="k" * 40, doorstep_env="production")


@pytest.fixture
async def owner_engine_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[Any]]:
    """Sessions on connections of their own, as the owner (a superuser here), as a server
    whose API_DATABASE_URL is the owner's would have."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    yield async_sessionmaker(engine)
    await engine.dispose()


async def test_the_server_refuses_to_start_as_a_superuser_in_production(
    database_url: str, owner_engine_sessionmaker: async_sessionmaker[Any]
) -> None:
    app = create_app(production(database_url), owner_engine_sessionmaker)
    with pytest.raises(UnsafeDatabaseRole, match=r"is a superuser.*Refusing to start"):
        async with app.router.lifespan_context(app):
            pass


async def test_development_only_warns(
    database_url: str,
    owner_engine_sessionmaker: async_sessionmaker[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = production(database_url).model_copy(update={"doorstep_env": "development"})
    with caplog.at_level(logging.WARNING, logger="doorstep"):
        await check_api_role(owner_engine_sessionmaker, settings)
    assert "is a superuser" in caplog.text and "starting anyway" in caplog.text


@pytest.mark.parametrize(
    ("powers", "problem"),
    [
        pytest.param("IN ROLE {owner}", "owns the tables", id="a member of the owner"),
        pytest.param("BYPASSRLS", "has BYPASSRLS", id="BYPASSRLS"),
    ],
)
async def test_the_server_refuses_an_owner_or_bypassrls_role(
    connection: AsyncConnection,
    owner_sessionmaker: async_sessionmaker[Any],
    database_url: str,
    powers: str,
    problem: str,
) -> None:
    """Roles made inside the test's transaction (gone with its rollback), used in turn."""
    tables = await sql(connection, "SELECT tableowner FROM pg_tables WHERE tablename = 'person'")
    role = f"rls_probe_{uuid.uuid4().hex[:12]}"
    owner = '"' + tables[0].tableowner + '"'
    await sql(connection, f"CREATE ROLE {role} {powers.format(owner=owner)}")
    await sql(connection, f"SET ROLE {role}")
    with pytest.raises(UnsafeDatabaseRole, match=problem):
        await check_api_role(owner_sessionmaker, production(database_url))


async def test_the_api_role_passes_the_check(
    sessionmaker: async_sessionmaker[Any], database_url: str
) -> None:
    await check_api_role(sessionmaker, production(database_url))


async def test_development_connects_as_the_local_api_role(database_url: str) -> None:
    """Without API_DATABASE_URL, development uses `doorstep_api_login` (scripts/localdb.sh)."""
    settings = Settings(database_url=database_url, doorstep_env="development")
    url = api_database_url(settings)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        factory = async_sessionmaker(engine)
        async with factory() as session:
            role = (await session.execute(text("SELECT current_user"))).scalar()
        await check_api_role(factory, production(database_url))
    finally:
        await engine.dispose()
    assert role == "doorstep_api_login"
