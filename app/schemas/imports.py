from datetime import datetime

from pydantic import BaseModel, Field


class ImportError_(BaseModel):
    line: int | None
    column: str | None
    message: str


class ImportQueued(BaseModel):
    id: int
    status: str


class ImportProgressOut(BaseModel):
    """How far a running job is, as its worker last wrote it (at most once a second)."""

    stage: str = Field(description="reading (the file) or writing (the rows)")
    rows_done: int
    rows_total: int | None = Field(description="known once the whole file is read")
    bytes_done: int
    bytes_total: int | None
    fraction: float | None = Field(description="0..1, estimated from the stage and counts")
    eta_seconds: float | None = Field(description="estimated time left, from the pace so far")
    updated_at: datetime | None


class ImportJobOut(BaseModel):
    id: int
    kind: str
    status: str = Field(description="queued, running, succeeded, failed or cancelled")
    filename: str | None
    message: str | None
    rows_read: int
    created: int
    updated: int
    rejected: int
    duplicates: int
    without_precinct: int
    errors: list[ImportError_]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int = Field(description="runs so far (a run that fails unexpectedly is retried)")
    cancel_requested: bool = Field(description="a cancellation was asked while it ran")
    progress: ImportProgressOut | None = Field(description="while running")
