"""Uploaded files in PostgreSQL, in 1 MiB chunks (`import_upload`), for as long as their job.

Why not a spool directory: the upload must outlive the request and the API process, and be
readable by a worker on another machine. In PostgreSQL it is (no shared file system to set
up), it commits with its job, and it is deleted in the same transaction as the job's ending,
so nothing is ever left behind, whether the job succeeds, fails, is cancelled or gives up.
The worker copies it to an unnamed temporary file (`TemporaryFile`: no name on disk, freed by
the OS even when the worker is killed) to hand the importers an ordinary file.
"""

import asyncio
from typing import IO

from fastapi import UploadFile
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CHUNK = 1 << 20

_INSERT = text(
    "INSERT INTO import_upload (campaign_id, job_id, seq, data) VALUES (:c, :j, :seq, :data)"
)
_READ = text("SELECT data FROM import_upload WHERE campaign_id = :c AND job_id = :j ORDER BY seq")
_DELETE = text("DELETE FROM import_upload WHERE campaign_id = :c AND job_id = :j")


async def store(session: AsyncSession, campaign_id: int, job_id: int, upload: UploadFile) -> int:
    """Write the upload as the job's chunks (one at least, empty for an empty file, so that a
    job without chunks is one whose upload is gone); its size in bytes."""
    size, seq = 0, 0
    while (chunk := await upload.read(CHUNK)) or seq == 0:
        await session.execute(_INSERT, {"c": campaign_id, "j": job_id, "seq": seq, "data": chunk})
        size += len(chunk)
        seq += 1
        if not chunk:
            break
    return size


async def copy_to(session: AsyncSession, campaign_id: int, job_id: int, out: IO[bytes]) -> int:
    """Write the job's upload into `out`, chunk by chunk; the chunks written (0: it is gone)."""
    chunks = 0
    result = await session.stream(_READ, {"c": campaign_id, "j": job_id})
    async for (data,) in result:
        await asyncio.to_thread(out.write, data)
        chunks += 1
    return chunks


async def delete(session: AsyncSession, campaign_id: int, job_id: int) -> None:
    await session.execute(_DELETE, {"c": campaign_id, "j": job_id})
