"""No public signing key (issue 11, item 3): without SECRET_KEY the server refuses to start,
except in development, where it makes a random one (and `make run` keeps one in .data/)."""

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from app.config import MissingSecretKey, Settings, get_settings
from app.main import create_app
from app.services.access.auth import issue_token
from tests.builders import API, CampaignFixture

PUBLISHED = "dev-only-insecure-secret-change-me-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """The process environment as a server would see it, without SECRET_KEY or a .env."""
    monkeypatch.chdir(tmp_path)  # no .env file here
    for name in ("SECRET_KEY", "DOORSTEP_ENV"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(None, id="not set"),
        pytest.param("", id="empty"),
        pytest.param(PUBLISHED, id="the key once published in the repository"),
        pytest.param("too-short-a-key", id="shorter than 32 characters"),
    ],
)
def test_the_server_refuses_to_start_without_a_usable_key(
    environment: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is not None:
        environment.setenv("SECRET_KEY", key)
    with pytest.raises(MissingSecretKey, match="refusing to start"):
        create_app()  # what `uvicorn app.main:create_app --factory` calls


def test_development_makes_a_random_key_for_the_process(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("DOORSTEP_ENV", "development")
    first = create_app().state.settings.secret_key
    get_settings.cache_clear()
    second = create_app().state.settings.secret_key
    assert len(first) >= 32 and first != second and PUBLISHED not in (first, second)


def test_development_uses_the_key_it_is_given(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DOORSTEP_ENV", "development")
    environment.setenv("SECRET_KEY", "k" * 40)
    assert create_app().state.settings.secret_key == "k" * 40


def test_a_token_is_never_signed_with_an_unusable_key() -> None:
    """Whatever path the settings came by (here: built by hand, no key)."""
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        issue_token(Settings(secret_key=""), {"sub": "1"})


async def test_a_token_forged_with_the_published_key_is_refused(
    client: httpx.AsyncClient, camp: CampaignFixture
) -> None:
    """The attack: anyone could sign an admin token with the key in app/config.py."""
    forged = jwt.encode(
        {"sub": str(camp.admin.id), "cid": camp.id, "sid": 1, "exp": int(time.time()) + 60},
        PUBLISHED,
        algorithm="HS256",
    )
    answer = await client.get(f"{API}/users", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_make_keeps_one_random_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    """`make run` makes the key once (mode 600) and reuses it."""
    key_file = tmp_path / "data" / "secret_key"

    def make() -> None:
        subprocess.run(
            ["make", "-s", f"KEY_FILE={key_file}", str(key_file)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "MAKEFLAGS": ""},
        )

    make()
    key = key_file.read_text().strip()
    assert len(key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    make()
    assert key_file.read_text().strip() == key
