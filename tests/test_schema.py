"""The schema's single source of truth is Alembic: models and migrations must agree, and the
published openapi.yaml must be the app's."""

import os
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from app.contract import render
from app.models import metadata
from app.models.base import include_object

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


async def test_models_and_migrations_agree(connection: AsyncConnection) -> None:
    def diff(sync_connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync_connection,
            opts={"include_object": include_object, "compare_type": True},
        )
        return compare_metadata(context, metadata)

    assert await connection.run_sync(diff) == []


def test_openapi_yaml_is_current() -> None:
    with open(os.path.join(ROOT, "openapi.yaml"), encoding="utf-8") as f:
        published = f.read()
    assert published == render(), "openapi.yaml is stale: run `make openapi`"
