"""The migration to accounts per campaign, on a database of its own: a global user of two
campaigns becomes two accounts, and back."""

import asyncpg

from tests.builders import ScratchDatabase

BEFORE = "7e3524ecab47"  # users global, roles in membership
ACCOUNTS = "358acec4505c"  # accounts per campaign


async def test_a_user_of_two_campaigns_becomes_two_accounts_and_back(
    empty_database: ScratchDatabase,
) -> None:
    await empty_database.upgrade(BEFORE)
    db = await asyncpg.connect(empty_database.dsn)
    try:
        a = await db.fetchval("INSERT INTO campaign (slug, name) VALUES ('a', 'A') RETURNING id")
        b = await db.fetchval("INSERT INTO campaign (slug, name) VALUES ('b', 'B') RETURNING id")
        user = await db.fetchval(
            "INSERT INTO app_user (email, name, password_hash)"
            " VALUES ('x@mail.test', 'X', 'hash-x') RETURNING id"
        )
        await db.fetchval(
            "INSERT INTO app_user (email, name, password_hash) VALUES ('gone@mail.test', 'G', 'h')"
        )
        await db.executemany(
            "INSERT INTO membership (campaign_id, user_id, role) VALUES ($1, $2, $3)",
            [(a, user, "admin"), (b, user, "organizer")],
        )
        await db.executemany(
            "INSERT INTO import_job (campaign_id, kind, created_by) VALUES ($1, 'voters', $2)",
            [(a, user), (b, user)],
        )
        await db.close()

        await empty_database.upgrade(ACCOUNTS)
        db = await asyncpg.connect(empty_database.dsn)
        accounts = await db.fetch(
            "SELECT u.campaign_id, u.id, u.email, u.name, u.password_hash, m.role"
            " FROM app_user u JOIN membership m"
            "   ON m.campaign_id = u.campaign_id AND m.user_id = u.id"
            " ORDER BY u.campaign_id"
        )
        assert [(r["campaign_id"], r["role"]) for r in accounts] == [
            (a, "admin"),
            (b, "organizer"),
        ]
        assert accounts[0]["id"] == user and accounts[1]["id"] != user  # the first keeps its id
        assert {(r["email"], r["name"], r["password_hash"]) for r in accounts} == {
            ("x@mail.test", "X", "hash-x")
        }
        # The user without any campaign is gone; each job names its own campaign's account.
        assert await db.fetchval("SELECT count(*) FROM app_user") == 2
        jobs = dict(await db.fetch("SELECT campaign_id, created_by FROM import_job"))
        assert jobs == {a: accounts[0]["id"], b: accounts[1]["id"]}
        await db.close()

        await empty_database.downgrade(BEFORE)
        db = await asyncpg.connect(empty_database.dsn)
        assert await db.fetch("SELECT id, email FROM app_user") == [(user, "x@mail.test")]
        memberships = await db.fetch(
            "SELECT campaign_id, user_id, role FROM membership ORDER BY campaign_id"
        )
        assert [tuple(r) for r in memberships] == [(a, user, "admin"), (b, user, "organizer")]
        assert {r["created_by"] for r in await db.fetch("SELECT created_by FROM import_job")} == {
            user
        }
    finally:
        await db.close()
