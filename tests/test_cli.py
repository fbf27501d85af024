"""The doorstep command against this worker's database (committed data, removed afterwards)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.helpers import grid_precincts, voter, voter_csv


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_create_campaign_and_imports(cli_env: CliRunner, tmp_path: Path) -> None:
    slug = "cli-test"
    created = cli_env.invoke(
        cli,
        ["create-campaign", "--name", "CLI", "--slug", slug,
         "--admin-email", "cli-admin@x.test", "--admin-password", "long enough"],
    )  # fmt: skip
    try:
        assert created.exit_code == 0, created.output
        again = cli_env.invoke(
            cli,
            ["create-campaign", "--name", "CLI", "--slug", slug,
             "--admin-email", "other@x.test", "--admin-password", "long enough"],
        )  # fmt: skip
        assert again.exit_code == 1 and "already exists" in again.output

        precincts = tmp_path / "p.geojson"
        precincts.write_text(json.dumps(grid_precincts()))
        result = cli_env.invoke(
            cli, ["import-precincts", str(precincts), "--campaign", slug, "--code-property", "code"]
        )
        assert result.exit_code == 0, result.output
        assert "created 2, updated 0, rejected 0" in result.output

        voters = tmp_path / "v.csv"
        voters.write_bytes(voter_csv([voter("V1"), voter("V2", birth_date="bad")]))
        result = cli_env.invoke(cli, ["import-voters", str(voters), "--campaign", slug])
        assert result.exit_code == 0, result.output
        assert "rows 2: created 1, updated 0, rejected 1" in result.output
        assert "line 3 birth_date" in result.output

        unknown = cli_env.invoke(cli, ["import-voters", str(voters), "--campaign", "nope"])
        assert unknown.exit_code == 1 and "no campaign" in unknown.output
    finally:
        _drop_campaign(slug)


def _drop_campaign(slug: str) -> None:
    import asyncio

    from sqlalchemy import text

    from app.db import make_engine, make_sessionmaker, session_scope

    async def drop() -> None:
        engine = make_engine(get_settings())
        async with session_scope(make_sessionmaker(engine)) as session:
            await session.execute(text("DELETE FROM campaign WHERE slug = :s"), {"s": slug})
            await session.execute(text("DELETE FROM app_user WHERE email = 'cli-admin@x.test'"))
        await engine.dispose()

    asyncio.run(drop())
