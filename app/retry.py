"""Retrying a unit of work that lost a deadlock or a serialisation conflict.

When two transactions wait on each other, PostgreSQL cancels one (SQLSTATE 40P01); under
stricter isolation a conflicting one fails with 40001. Neither is the client's fault nor a
bug: the work is simply run again. `retry_conflicts` runs it in a savepoint of the request's
transaction, so a retry undoes only the work itself (and releases its locks), and the request's
commit still happens once, when the endpoint returns. The retries are bounded, with a short
random back-off so the two sides do not meet again at once; the last failure propagates (a
500 names it in the log by SQLSTATE).
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import Counter
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.observability.metrics import REGISTRY

T = TypeVar("T")
log = logging.getLogger("doorstep")

CONFLICTS = {"40P01": "deadlock", "40001": "serialization"}
ATTEMPTS = 4
RETRIES = Counter(
    "doorstep_db_conflict_retries_total",
    "Units of work run again after a deadlock or serialisation failure",
    ["reason"],
    registry=REGISTRY,
)


def conflict_of(exc: BaseException) -> str | None:
    """ "deadlock" or "serialization" when the error is one, else None."""
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return CONFLICTS.get(sqlstate) if isinstance(sqlstate, str) else None


async def retry_conflicts(
    session: AsyncSession, work: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS
) -> T:
    """`work()` in a savepoint, run again (at most `attempts` times in all) when it loses a
    deadlock or a serialisation conflict."""
    for attempt in range(1, attempts + 1):
        try:
            async with session.begin_nested():
                return await work()
        except DBAPIError as exc:
            reason = conflict_of(exc)
            if reason is None or attempt == attempts:
                raise
            RETRIES.labels(reason).inc()
            log.warning("retrying after a %s (attempt %d)", reason, attempt)
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises
