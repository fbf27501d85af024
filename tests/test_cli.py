"""The doorstep command against this worker's database (committed data, removed afterwards)."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from tests.builders import grid_precincts, voter, voter_csv

SLUG = "cli-test"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-test-key-" + "k" * 32)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def create_campaign(runner: CliRunner, admin_email: str) -> tuple[int, str]:
    """`doorstep create-campaign` for the campaign SLUG: (exit code, output)."""
    result = runner.invoke(
        cli,
        [
            *("create-campaign", "--name", "CLI", "--slug", SLUG),
            *("--admin-email", admin_email, "--admin-password", "long enough"),
        ],
    )
    return result.exit_code, result.output


@pytest.fixture
def campaign(cli_env: CliRunner) -> Iterator[CliRunner]:
    """The campaign SLUG, made by the command (and removed, with its admin, afterwards)."""
    try:
        exit_code, output = create_campaign(cli_env, "cli-admin@x.test")
        assert exit_code == 0, output
        yield cli_env
    finally:
        _drop_campaign(SLUG)


def test_a_campaign_is_made_once(campaign: CliRunner) -> None:
    exit_code, output = create_campaign(campaign, "other@x.test")
    assert exit_code == 1 and "already exists" in output


def test_precincts_import_from_a_file(campaign: CliRunner, tmp_path: Path) -> None:
    precincts = tmp_path / "p.geojson"
    precincts.write_text(json.dumps(grid_precincts()))
    result = campaign.invoke(
        cli, ["import-precincts", str(precincts), "--campaign", SLUG, "--code-property", "code"]
    )
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, rejected 0" in result.output


def test_voters_import_from_a_file_naming_bad_rows(campaign: CliRunner, tmp_path: Path) -> None:
    voters = tmp_path / "v.csv"
    voters.write_bytes(voter_csv([voter("V1"), voter("V2", birth_date="bad")]))
    result = campaign.invoke(cli, ["import-voters", str(voters), "--campaign", SLUG])
    assert result.exit_code == 0, result.output
    assert "rows 2: created 1, updated 0, rejected 1" in result.output
    assert "line 3 birth_date" in result.output


def test_an_unknown_campaign_is_an_error(cli_env: CliRunner, tmp_path: Path) -> None:
    voters = tmp_path / "v.csv"
    voters.write_bytes(voter_csv([voter("V1")]))
    unknown = cli_env.invoke(cli, ["import-voters", str(voters), "--campaign", "nope"])
    assert unknown.exit_code == 1 and "no campaign" in unknown.output


def _drop_campaign(slug: str) -> None:
    async def drop() -> None:
        engine = make_engine(get_settings())
        async with session_scope(make_sessionmaker(engine)) as session:
            # its accounts go with it
            await session.execute(text("DELETE FROM campaign WHERE slug = :s"), {"s": slug})
        await engine.dispose()

    asyncio.run(drop())


def test_the_command_refuses_to_run_without_a_key(
    cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It would sign nothing, but it makes list codes (keyed by SECRET_KEY) and shares the
    server's settings: it refuses as the server does."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("DOORSTEP_ENV", raising=False)
    get_settings.cache_clear()
    result = cli_env.invoke(cli, ["demo-logins"])
    assert result.exit_code == 1 and "SECRET_KEY is not set" in result.output
