"""Import jobs: a file uploaded once, processed by the job worker, observed by polling.

`ImportJob` is the job as the campaign sees it (status, progress, outcome); the queue entry
that a worker picks up is procrastinate's (`queue_job_id`). `ImportUpload` holds the uploaded
file, in chunks, until the job ends: in PostgreSQL, so that it survives a restart and any
worker on any machine can read it, and so that it goes away with the job's last transaction.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def _count() -> Any:
    return Column(Integer, nullable=False, server_default=text("0"))


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(
            "status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="status_known",
        ),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    kind: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(
        default="queued",
        sa_column=Column(Text, nullable=False, server_default=text("'queued'")),
    )
    filename: str | None = Field(default=None, sa_column=Column(Text))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    message: str | None = Field(default=None, sa_column=Column(Text))
    rows_read: int = Field(default=0, sa_column=_count())
    created: int = Field(default=0, sa_column=_count())
    updated: int = Field(default=0, sa_column=_count())
    rejected: int = Field(default=0, sa_column=_count())
    duplicates: int = Field(default=0, sa_column=_count())
    without_precinct: int = Field(default=0, sa_column=_count())
    errors: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # The queue: procrastinate's job id, the runs so far, and a cancellation asked for while
    # the job ran (the worker aborts it; the status says when it has).
    queue_job_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    attempts: int = Field(default=0, sa_column=_count())
    cancel_requested_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # Progress while running, written by the worker at most once a second: the stage, rows
    # and bytes done (bytes_total is the upload's size), and when it was last written.
    stage: str | None = Field(default=None, sa_column=Column(Text))
    rows_done: int = Field(default=0, sa_column=_count())
    rows_total: int | None = Field(default=None, sa_column=Column(Integer))
    bytes_done: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    bytes_total: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ImportUpload(SQLModel, table=True):
    """One chunk (`seq`) of a job's uploaded file; deleted when the job ends, however."""

    __tablename__ = "import_upload"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "job_id"],
            ["import_job.campaign_id", "import_job.id"],
            ondelete="CASCADE",
        ),
    )

    campaign_id: int = Field(sa_column=campaign_pk_column())
    job_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    seq: int = Field(sa_column=Column(Integer, primary_key=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
