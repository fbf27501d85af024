"""Deployment switches and input limits against hostile requests (issue 11), from the
environment like `app.config.Settings` (prefix-free: DOCS_ENABLED, HSTS, ...).

They live beside the main settings so that their owner can fold them into `Settings` later
without touching their users: the app keeps them in `app.state.hardening`.
"""

from pydantic_settings import BaseSettings, SettingsConfigDict

from app.geo import GeometryLimits


class Hardening(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # /docs, /redoc and /openapi.json; DOCS_ENABLED=false in production.
    docs_enabled: bool = True
    # Strict-Transport-Security on every answer (behind a proxy that terminates TLS). Requests
    # that arrive over https get it anyway.
    hsts: bool = False
    hsts_max_age: int = 365 * 24 * 3600
    # One imported or drawn polygon: at most this many vertices, and at most this many places
    # where it crosses itself for the server to repair it.
    max_feature_vertices: int = 100_000
    max_repair_crossings: int = 1_000
    # JSON bodies nested deeper than this are refused (400) before they are parsed.
    max_json_depth: int = 64
    # Per process: at most this many API requests at once; one more waits up to this long for
    # a place, then gets 503 with Retry-After (app/admission.py). Keep the limit near the
    # connection pool's size (DB_POOL_SIZE, doubled by its overflow).
    max_concurrent_requests: int = 32
    admission_wait_s: float = 2.0
    # TURF_CUT_SECONDS: a turf cut in a request stops after this long (422 on turf_count); it
    # also stops as soon as its client has gone.
    turf_cut_seconds: float = 30.0
    # METRICS_TOKEN: GET /metrics answers with `Authorization: Bearer <token>`; unset, it is off.
    metrics_token: str = ""

    @property
    def geometry_limits(self) -> GeometryLimits:
        return GeometryLimits(self.max_feature_vertices, self.max_repair_crossings)
