"""Import uploads: spooled for the job, and never left on disk when the request fails."""

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.config import Settings
from app.main import create_app
from tests.builders import app_client
from tests.conftest import CampaignFixture


@pytest.fixture
async def spooling_client(
    settings: Settings, sessionmaker: async_sessionmaker[Any], tmp_path: Path
) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update={"import_dir": str(tmp_path)}), sessionmaker)
    return app_client(app)


def multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body written byte for byte (httpx would escape a NUL in the file name)."""
    boundary = "doorstep-test-boundary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\n'
        + b"Content-Type: text/csv\r\n\r\n"
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


async def test_a_nul_in_the_file_name_is_refused_and_leaves_no_file_behind(
    spooling_client: httpx.AsyncClient, camp: CampaignFixture, tmp_path: Path
) -> None:
    body, content_type = multipart(b"voters\x00.csv", b"voter_id\n")
    response = await spooling_client.post(
        "/api/v1/imports/voters",
        headers=camp.organizer.headers | {"Content-Type": content_type},
        content=body,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"loc": "body.file", "message": "the file name holds a NUL character"}
    ]
    assert os.listdir(tmp_path) == []


async def test_an_accepted_upload_is_spooled_then_removed_by_its_job(
    spooling_client: httpx.AsyncClient, camp: CampaignFixture, tmp_path: Path
) -> None:
    csv = b"voter_id,first_name,last_name,house_number,street\nV1,Ada,Lovelace,1,Main St\n"
    response = await spooling_client.post(
        "/api/v1/imports/voters",
        headers=camp.organizer.headers,
        files={"file": ("voters.csv", csv, "text/csv")},
    )
    assert response.status_code == 202, response.text
    job = await spooling_client.get(
        f"/api/v1/imports/{response.json()['id']}", headers=camp.organizer.headers
    )
    assert job.json()["status"] == "succeeded"
    assert job.json()["created"] == 1
    assert os.listdir(tmp_path) == []
