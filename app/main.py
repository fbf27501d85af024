"""create_app(): settings, database, logging, error handlers, middleware, routers."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import web
from app.admission import Admission
from app.config import Settings, api_database_url, get_settings
from app.db import check_api_role, make_engine, make_sessionmaker
from app.errors import install_error_handlers
from app.hardening import Hardening
from app.logs import configure_logging
from app.middleware import BodySizeLimit, CleanInput, ResponseGuard
from app.observability import health, metrics
from app.observability.request_log import RequestLog
from app.openapi import install as install_contract
from app.routers import (
    audit,
    auth,
    imports,
    people,
    precincts,
    surveys,
    sync,
    turfs,
    users,
    walk_lists,
)

API_PREFIX = "/api/v1"
# Bodies whose items are checked one by one by their endpoint: a bad item is rejected alone
# there, so the request-wide input check leaves these bodies to them.
ITEMWISE_BODIES = [
    rf"^{API_PREFIX}/sync$",
    rf"^{API_PREFIX}/walk_lists/[^/]+/paper_entries$",
    rf"^{API_PREFIX}/precincts/import$",
]


def create_app(
    settings: Settings | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    hardening: Hardening | None = None,
) -> FastAPI:
    """The app. Tests pass their own sessionmaker (bound to a rolled-back transaction)."""
    settings = settings or get_settings()
    hardening = hardening or Hardening()
    engine: AsyncEngine | None = None
    if sessionmaker is None:
        # The API's own role, held by row-level security (DATABASE_URL is the owner's).
        engine = make_engine(settings, api_database_url(settings))
        sessionmaker = make_sessionmaker(engine)
        metrics.POOLS.watch(engine)
    factory = sessionmaker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(logging.INFO)
        await check_api_role(factory, settings)  # refuses an owner, superuser, BYPASSRLS role
        # What start-up made (modules, the app) lives as long as the process: out of the
        # collector's sight, so that a full collection, which holds the interpreter (and the
        # event loop) while it runs, scans only what requests make: 140 ms -> a few ms.
        gc.freeze()
        yield
        if engine is not None:
            metrics.POOLS.forget(engine)
            await engine.dispose()

    app = FastAPI(
        title="Doorstep",
        version="0.1.0",
        summary="Open backend for door-to-door canvassing",
        lifespan=lifespan,
        docs_url="/docs" if hardening.docs_enabled else None,
        redoc_url="/redoc" if hardening.docs_enabled else None,
        openapi_url="/openapi.json" if hardening.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.hardening = hardening
    app.state.sessionmaker = factory
    install_error_handlers(app)
    # Outermost last: ResponseGuard > BodySizeLimit > CleanInput > GZip > the routes.
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # walk lists go to phones on 3G
    app.add_middleware(CleanInput, hardening=hardening, itemwise=ITEMWISE_BODIES)
    app.add_middleware(
        BodySizeLimit, max_json=settings.max_json_bytes, max_upload=settings.max_upload_bytes
    )
    app.add_middleware(
        Admission,
        limit=hardening.max_concurrent_requests,
        wait_s=hardening.admission_wait_s,
        prefix=API_PREFIX,
    )
    app.add_middleware(RequestLog)  # inside ResponseGuard: logged with the request id
    app.add_middleware(ResponseGuard, hardening=hardening, api_prefix=API_PREFIX)
    app.include_router(health.router)
    routers = (auth, users, precincts, imports, people, surveys, turfs, walk_lists, sync)
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    install_contract(app)  # /openapi.json declares every error as problem+json
    web.install(app)  # the web app under /app/
    return app
