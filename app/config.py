"""Settings from environment variables (prefix-free, as deployments expect: DATABASE_URL, ...)."""

from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "postgresql+asyncpg://doorstep@127.0.0.1:54329/doorstep"
    # Signing key for access tokens. The default is for development only: set SECRET_KEY in
    # production, or every deployment shares a key that anyone can read in this repository.
    secret_key: str = "dev-only-insecure-secret-change-me-0123456789"
    token_ttl_seconds: int = 8 * 3600
    max_json_bytes: int = 5 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    import_dir: str = ""  # where uploads wait for their import job; "" = the system temp dir
    db_pool_size: int = 10
    # Walking routes: minutes = distance at this speed + this long at each door.
    walking_speed_kmh: float = 4.5
    minutes_per_door: float = 2.0
    crossing_penalty_m: float = 20.0

    @field_validator("database_url")
    @classmethod
    def use_asyncpg(cls, url: str) -> str:
        """Accept the plain libpq form (postgresql://...) and select the asyncpg driver."""
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
