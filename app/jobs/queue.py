"""The queue's names and the statements the API runs in its own transaction.

A job is deferred by calling procrastinate's `procrastinate_defer_jobs_v1` in the request's
transaction rather than through procrastinate's connector: the job row, its upload and its
queue entry commit together (a failed request leaves no queue entry pointing at nothing, and a
worker never sees a queue entry before its job row), and the API needs no second pool.
The `_v1` functions are procrastinate's stable SQL interface, kept across its releases.
"""

import json

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

QUEUE = "imports"
IMPORT_TASK = "doorstep.import"

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    " CAST(:queue AS varchar), CAST(:task AS varchar), 0, CAST(:lock AS text), NULL::text,"
    " CAST(:args AS jsonb), NULL::timestamptz)::procrastinate_job_to_defer_v1]))"
)
_STATUS = text("SELECT status::text FROM procrastinate_jobs WHERE id = :id FOR UPDATE")
_CANCEL = text("SELECT procrastinate_cancel_job_v1(:id, true, false)")


def campaign_lock(campaign_id: int) -> str:
    """The queue lock of a campaign's imports: a worker runs one of them at a time, and takes
    the jobs of other campaigns meanwhile."""
    return f"campaign:{campaign_id}:imports"


async def defer_import(session: AsyncSession, campaign_id: int, import_job_id: int) -> int:
    """Queue the import job (visible to workers when the transaction commits); its queue id."""
    args = {"campaign_id": campaign_id, "import_job_id": import_job_id}
    queue_id = await session.scalar(
        _DEFER,
        {
            "queue": QUEUE,
            "task": IMPORT_TASK,
            "lock": campaign_lock(campaign_id),
            "args": json.dumps(args),
        },
    )
    assert queue_id is not None
    return int(queue_id)


async def cancel(session: AsyncSession, queue_job_id: int) -> str | None:
    """Cancel a queued job, or ask its worker to abort it if it runs; the queue's status
    before ('todo': cancelled now; 'doing': abort asked), None if the entry is gone."""
    before = await session.scalar(_STATUS, {"id": queue_job_id})
    if before in ("todo", "doing"):
        await session.execute(_CANCEL, {"id": queue_job_id})
    return None if before is None else str(before)


def conninfo(database_url: str) -> str:
    """The libpq conninfo (a postgresql:// URI) of the app's SQLAlchemy URL, for psycopg."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)
