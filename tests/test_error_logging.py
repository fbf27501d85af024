"""The error log never holds SQL parameters or personal data (issue 11, item 13): errors are
logged by type, frames and request id, never by their message (SQLAlchemy's carries the
statement and its parameters, PostgreSQL's the offending value)."""

import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import make_engine
from app.deps import SessionDep
from app.logs import JsonFormatter, configure_logging
from app.main import create_app

SECRET = "555-0199 Jane Roe argon2id$v=19$secret"


@pytest.fixture
async def boom_client(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with two routes that fail in the database with a secret as a parameter: one
    with a value PostgreSQL refuses (a data error: 422), one with a fault of ours (500)."""
    app = create_app(settings, sessionmaker)

    @app.get("/boom/data")
    async def data_error(session: SessionDep) -> Any:
        await session.execute(text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": SECRET})

    @app.get("/boom/fault")
    async def fault(session: SessionDep) -> Any:
        await session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": SECRET})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def rendered(records: list[logging.LogRecord]) -> str:
    """The records as the server writes them (JSON lines) and as pytest shows them."""
    formatter = JsonFormatter()
    plain = logging.Formatter("%(message)s %(error)s")
    out = []
    for record in records:
        out.append(formatter.format(record))
        if hasattr(record, "error"):
            out.append(plain.format(record))
    return "\n".join(out)


async def test_a_data_error_is_a_422_and_logs_no_value(
    boom_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await boom_client.get("/boom/data", headers={"X-Request-ID": "req-data-1"})
    assert response.status_code == 422
    assert SECRET not in response.text
    [record] = [r for r in caplog.records if r.name == "doorstep"]
    assert record.levelname == "WARNING" and record.exc_info is None
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-data-1"
    assert "SQLSTATE 22P02" in line["error"]
    assert "555-0199" not in caplog.text and "555-0199" not in rendered(caplog.records)


async def test_a_fault_is_a_500_with_a_request_id_and_logs_no_parameter(
    boom_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await boom_client.get("/boom/fault")
    assert response.status_code == 500
    body = response.json()
    assert body["title"] == "Internal server error"
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert SECRET not in response.text
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == body["request_id"]
    assert "ProgrammingError" in line["error"] and "42P01" in line["error"]
    assert any("boom" in frame or "fault" in frame for frame in line["traceback"])
    assert "555-0199" not in caplog.text and "555-0199" not in rendered(caplog.records)
    assert "no_such_table" not in caplog.text  # not even the statement


def test_other_code_logging_an_exception_prints_no_message() -> None:
    """What another module (or the server) logs with exc_info goes through the same formatter:
    the exception's type and frames, not its text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("doorstep.test.elsewhere")
    logger.addHandler(handler)
    try:
        raise ValueError(f"[SQL: INSERT ...] [parameters: ('{SECRET}',)]")
    except ValueError:
        logger.exception("import job 7 failed")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "import job 7 failed"
    assert line["error"] == "builtins.ValueError"
    assert "555-0199" not in stream.getvalue()


def test_the_server_logs_json_and_its_engine_hides_parameters(settings: Settings) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging()
        assert all(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
    finally:
        root.handlers, _ = saved[0], root.setLevel(saved[1])
    engine = make_engine(settings)
    assert engine.sync_engine.hide_parameters is True
