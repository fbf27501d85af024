"""create_app(): settings, database, error handlers, body limits, routers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.errors import install_error_handlers
from app.middleware import BodySizeLimit
from app.routers import (
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
from app.services.access.throttle import FailureThrottle
from app.services.import_jobs import fail_interrupted_jobs

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> FastAPI:
    """The app. Tests pass their own sessionmaker (bound to a rolled-back transaction)."""
    settings = settings or get_settings()
    engine: AsyncEngine | None = None
    if sessionmaker is None:
        engine = make_engine(settings)
        sessionmaker = make_sessionmaker(engine)
    factory = sessionmaker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logging.basicConfig(level=logging.INFO)
        await fail_interrupted_jobs(factory)
        yield
        if engine is not None:
            await engine.dispose()

    app = FastAPI(
        title="Doorstep",
        version="0.1.0",
        summary="Open backend for door-to-door canvassing",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessionmaker = factory
    app.state.list_code_throttle = FailureThrottle(limit=10, window=60.0)
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # walk lists go to phones on 3G
    app.add_middleware(
        BodySizeLimit, max_json=settings.max_json_bytes, max_upload=settings.max_upload_bytes
    )
    routers = (auth, users, precincts, imports, people, surveys, turfs, walk_lists, sync)
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    return app
