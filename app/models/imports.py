"""Import jobs: a file uploaded once, processed outside the request, observed by polling."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column


def _count() -> Any:
    return Column(Integer, nullable=False, server_default=text("0"))


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(
            "status in ('queued', 'running', 'succeeded', 'failed')", name="status_known"
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
