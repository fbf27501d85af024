"""Helpers of the durable-job tests: voter files, queueing, polling a job."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

API = "/api/v1"


def voters_file(rows: int, prefix: str = "V", first_name: str = "Ann") -> bytes:
    """A voter file of `rows` people, four per door, on a few streets."""
    lines = ["voter_id,first_name,last_name,house_number,street,city,zip"]
    streets = ("Main Street", "Elm Street", "Oak Avenue", "Pine Road")
    for i in range(rows):
        street = streets[i % len(streets)]
        lines.append(f"{prefix}{i:07d},{first_name}{i},Lee,{i // 4 + 1},{street},Cambridge,02139")
    return ("\n".join(lines) + "\n").encode()


async def queue_import(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, kind: str = "voters"
) -> int:
    response = await client.post(
        f"{API}/imports/{kind}", files={"file": ("v.csv", content, "text/csv")}, headers=headers
    )
    assert response.status_code == 202, response.text
    job_id: int = response.json()["id"]
    return job_id


async def read_job(client: httpx.AsyncClient, headers: dict[str, str], job_id: int) -> Any:
    response = await client.get(f"{API}/imports/{job_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job_id: int,
    done: Callable[[Any], bool],
    within_s: float = 30.0,
) -> Any:
    """Poll the job until `done(job)`; the job then."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        job = await read_job(client, headers, job_id)
        if done(job):
            return job
        assert asyncio.get_running_loop().time() < deadline, f"job never got there: {job}"
        await asyncio.sleep(0.05)


def ended(job: Any) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")
