"""Settings from environment variables (prefix-free, as deployments expect: DATABASE_URL, ...).

`get_settings()` is the process's settings, checked: outside development (`DOORSTEP_ENV`) it
refuses to hand out settings without a usable `SECRET_KEY`, so the server (`create_app()`),
the CLI and the tools refuse to start rather than sign tokens with a key anyone could know.

Two database URLs: DATABASE_URL is the owner of the tables (migrations, CLI), and
API_DATABASE_URL the server's role, which row-level security holds to one campaign per
transaction (`api_database_url`; `app.db.check_api_role` refuses an unsafe one at start-up).
"""

import json
import logging
import secrets
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

log = logging.getLogger("doorstep")

MIN_SECRET_KEY_CHARS = 32
# The signing key this repository once shipped as a default: public, so never accepted.
PUBLISHED_KEYS = frozenset({"dev-only-insecure-secret-change-me-0123456789"})


class MissingSecretKey(RuntimeError):
    """No usable SECRET_KEY outside development: the server must not start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # DATABASE_URL: the owner of the tables, for migrations, the CLI and the worker's tools.
    database_url: str = "postgresql+asyncpg://doorstep@127.0.0.1:54329/doorstep"
    # API_DATABASE_URL: what the API server connects as: a login role that is a member of
    # `doorstep_api` (made by the migrations), neither superuser nor owner nor BYPASSRLS, so
    # that row-level security applies to it (checked at start-up). In development it defaults
    # to the local role `doorstep_api_login` on DATABASE_URL's server and database
    # (`scripts/localdb.sh ensure` makes it). See `api_database_url`.
    api_database_url: str = ""
    # DOORSTEP_ENV: "development" (make run) lets the server start without SECRET_KEY, with a
    # random key for the process; anything else is production.
    doorstep_env: Literal["production", "development"] = "production"
    # SECRET_KEY: signs access tokens and keys the hashes of list codes. At least 32
    # characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`).
    # Changing it ends every session and voids every list code.
    secret_key: str = ""
    token_ttl_seconds: int = 8 * 3600  # a session: one canvassing shift
    max_json_bytes: int = 5 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    import_dir: str = ""  # where uploads wait for their import job; "" = the system temp dir
    db_pool_size: int = 10
    # TRUSTED_PROXIES: the reverse proxies whose X-Forwarded-For is believed, as CIDRs (JSON
    # list or comma-separated, e.g. "10.0.0.0/8,127.0.0.1/32"). None by default.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []
    # Failed logins: per account (e-mail in one campaign), and per client address, higher so
    # that the volunteers behind one address do not lock each other out.
    login_failures_per_account: int = 10
    login_failures_per_address: int = 50
    login_failure_window_s: int = 15 * 60
    # Failed list-code tries (unknown codes) per client address.
    list_code_failures_per_address: int = 30
    list_code_failure_window_s: int = 10 * 60
    # Walking routes: minutes = distance at this speed + this long at each door.
    walking_speed_kmh: float = 4.5
    minutes_per_door: float = 2.0
    crossing_penalty_m: float = 20.0
    # Import jobs (app/jobs). JOB_RUNNER: "worker" queues them in PostgreSQL for `doorstep
    # worker`; "inline" runs them in the API process after the response, not durable, for the
    # tests' rolled-back transaction only.
    job_runner: Literal["worker", "inline"] = "worker"
    worker_concurrency: int = 2  # jobs one worker runs at once (one per campaign at most)
    worker_db_pool_size: int = 3  # the worker's own pool, apart from the API's
    worker_stalled_after_s: float = 30.0  # a worker silent this long has died: retry its jobs
    import_queue_limit: int = 5  # imports waiting per campaign; more is a 429
    import_max_attempts: int = 3  # runs of a job that fails unexpectedly, the first included
    import_retry_wait_s: float = 5.0  # before the 2nd run; doubled for each later one
    import_lock_timeout_s: float = 60.0  # an import waiting longer on a lock fails and retries

    @field_validator("database_url", "api_database_url")
    @classmethod
    def use_asyncpg(cls, url: str) -> str:
        """Accept the plain libpq form (postgresql://...) and select the asyncpg driver."""
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        return url

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def split_proxies(cls, value: Any) -> Any:
        """A comma-separated string, or a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value


class UnsafeDatabaseRole(RuntimeError):
    """The API server would connect as a role that row-level security does not hold back."""


# The local login role of the API server in development (member of `doorstep_api`).
DEV_API_ROLE = "doorstep_api_login"


def api_database_url(settings: Settings) -> str:
    """The URL the API server connects with: API_DATABASE_URL; without it, in development the
    role `doorstep_api_login` (no password: the local cluster trusts local connections) on
    DATABASE_URL's server and database, and in production DATABASE_URL itself, which the
    start-up check (`app.db.check_api_role`) then refuses when it is the owner's."""
    if settings.api_database_url:
        return settings.api_database_url
    if settings.doorstep_env == "development":
        owner = make_url(settings.database_url)
        return owner._replace(username=DEV_API_ROLE, password=None).render_as_string(False)
    return settings.database_url


def secret_key_problem(key: str) -> str | None:
    """Why the key cannot sign tokens, or None when it can."""
    if not key:
        return "SECRET_KEY is not set"
    if key in PUBLISHED_KEYS:
        return "SECRET_KEY is the key once published in this repository"
    if len(key) < MIN_SECRET_KEY_CHARS:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_CHARS} characters"
    return None


def with_secret_key(settings: Settings) -> Settings:
    """The settings, checked: a usable key; in development without one, a random key for this
    process (its tokens and list codes die with it). Otherwise MissingSecretKey."""
    problem = secret_key_problem(settings.secret_key)
    if problem is None:
        return settings
    if settings.doorstep_env == "development" and not settings.secret_key:
        log.warning("SECRET_KEY is not set: development mode, using a random key")
        return settings.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
    raise MissingSecretKey(
        f"{problem}: refusing to start. Set SECRET_KEY to a random string of at least "
        f"{MIN_SECRET_KEY_CHARS} characters (or DOORSTEP_ENV=development on a laptop)."
    )


@lru_cache
def get_settings() -> Settings:
    return with_secret_key(Settings())
