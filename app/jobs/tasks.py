"""The procrastinate task of import jobs and its retry strategy.

Retries: a run that fails unexpectedly (a lock wait timed out, the database went away, the
worker was stopped mid-run) is run again after `IMPORT_RETRY_WAIT_S`, then twice that, and so
on, `IMPORT_MAX_ATTEMPTS` runs in all. A bad file is not retried (`imports.run_import` ends it
as `failed`), nor is a job a user cancelled. One strategy object both decides for the queue
and tells the job whether its failure is final, so the two never disagree.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from procrastinate import App, JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.jobs.imports import run_import
from app.jobs.queue import IMPORT_TASK, QUEUE

PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True)
class ImportRetry(BaseRetryStrategy):
    """At most `max_attempts` runs, waiting `first_wait_s` * 2^(runs so far - 1) between."""

    max_attempts: int
    first_wait_s: float

    def wait_after(self, exception: BaseException, runs_so_far: int) -> float | None:
        """The delay before the next run, or None when the job ends with this failure."""
        if isinstance(exception, JobAborted) or runs_so_far >= self.max_attempts:
            return None
        return float(self.first_wait_s * 2 ** (runs_so_far - 1))

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        wait = self.wait_after(exception, job.attempts + 1)
        if wait is None:
            return None
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=wait))


@dataclass(frozen=True)
class JobRuntime:
    """What the tasks run with: the worker's settings and its own session factory."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]


def register_tasks(app: App, runtime: JobRuntime) -> ImportRetry:
    """Register the import task on `app`; its retry strategy."""
    strategy = ImportRetry(
        max_attempts=max(1, runtime.settings.import_max_attempts),
        first_wait_s=runtime.settings.import_retry_wait_s,
    )

    @app.task(name=IMPORT_TASK, queue=QUEUE, retry=strategy, pass_context=True)
    async def run_import_job(context: JobContext, campaign_id: int, import_job_id: int) -> None:
        run = context.job.attempts + 1

        def cancelled_by_user() -> bool:
            return context.abort_reason() == AbortReason.USER_REQUEST

        try:
            await run_import(
                runtime.factory,
                runtime.settings,
                campaign_id,
                import_job_id,
                attempt=run,
                retry_in=lambda exc: strategy.wait_after(exc, run),
                cancelled_by_user=cancelled_by_user,
                progress_every=PROGRESS_EVERY_S,
            )
        except asyncio.CancelledError:
            if cancelled_by_user():
                raise JobAborted() from None  # aborted for good, not retried
            raise

    return strategy
