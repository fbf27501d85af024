"""A running job's progress (stage, rows, ETA) shows on `GET /imports/{id}` while its import's
own transaction is still open: the worker writes it on a connection of its own."""

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.builders import CampaignFixture
from tests.jobs.helpers import ended, queue_import, voters_file, wait_for

ROWS = 400


async def test_progress_shows_while_the_import_runs(
    jobs_client: httpx.AsyncClient,
    running_worker: Callable[..., Any],
    database_url: str,
    camp_a: CampaignFixture,
) -> None:
    headers = camp_a.organizer.headers
    async with running_worker():
        first = await queue_import(jobs_client, headers, voters_file(ROWS))
        assert (await wait_for(jobs_client, headers, first, ended))["status"] == "succeeded"

        # The same voters renamed: the import reads the whole file, then waits to update a
        # person another transaction holds, mid-way through its writes.
        renamed = voters_file(ROWS, first_name="Bea")
        engine = create_async_engine(database_url, poolclass=NullPool)
        async with engine.connect() as holder:
            await holder.execute(
                text(
                    "SELECT 1 FROM person WHERE campaign_id = :c AND external_id = 'V0000007'"
                    " FOR UPDATE"
                ),
                {"c": camp_a.id},
            )
            job_id = await queue_import(jobs_client, headers, renamed)
            running = await wait_for(
                jobs_client,
                headers,
                job_id,
                lambda j: j["progress"] is not None and j["progress"]["stage"] == "writing",
            )
            await holder.rollback()
        await engine.dispose()
        done = await wait_for(jobs_client, headers, job_id, ended)

    assert running["status"] == "running"
    progress = running["progress"]
    assert (progress["rows_total"], progress["rows_done"]) == (ROWS, 0)
    assert progress["bytes_done"] == progress["bytes_total"] == len(renamed)
    assert progress["fraction"] == 0.5  # the file read, no person written yet
    assert progress["eta_seconds"] is not None and progress["updated_at"] is not None
    assert (done["status"], done["updated"], done["progress"]) == ("succeeded", ROWS, None)
