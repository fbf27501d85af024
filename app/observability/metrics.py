"""Prometheus metrics in a registry of our own (not the client's global one), so that every
app built in one process (the tests build hundreds) shares one set and nothing registers twice.

Route labels are route templates (`/api/v1/walk_lists/{list_id}`), never concrete paths: ids
would explode the series, and a query string can hold a name typed into a search box.
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUEST_SECONDS = Histogram(
    "doorstep_request_seconds",
    "Time to answer a request, by route template, method and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
SYNC_ITEMS = Counter(
    "doorstep_sync_items_total",
    "Synced results by their outcome (created, duplicate, rejected, ...)",
    ["status"],
    registry=REGISTRY,
)

JOB_SECONDS = Histogram(
    "doorstep_job_seconds",
    "Time a worker spent on one run of a job, by kind and how the run ended",
    ["kind", "outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
# The queue as the database holds it, read by each scrape (whichever process runs the jobs).
# A job waits from when it became due: its schedule, or else when it was deferred (procrastinate
# leaves `scheduled_at` empty for "now" and records the defer as an event). Jobs scheduled for
# later (retries backing off) are not waiting yet.
QUEUE_STATE = """
SELECT j.status::text AS status, count(*) AS jobs,
       COALESCE(EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, d.at))
                                  FILTER (WHERE j.status = 'todo')), 0) AS oldest_s
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM procrastinate_events e
    WHERE e.job_id = j.id AND e.type = 'deferred'
) d ON true
WHERE j.status IN ('todo', 'doing') AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
GROUP BY j.status
"""


@dataclass(frozen=True)
class QueueSnapshot:
    """Jobs waiting and running, and how long the oldest waiting one has waited (seconds)."""

    waiting: int = 0
    running: int = 0
    oldest_waiting_s: float = 0.0

    def families(self) -> list[Metric]:
        depth = GaugeMetricFamily(
            "doorstep_job_queue", "Jobs in the queue, by state", labels=["state"]
        )
        depth.add_metric(["waiting"], self.waiting)
        depth.add_metric(["running"], self.running)
        oldest = GaugeMetricFamily(
            "doorstep_job_oldest_waiting_seconds", "How long the oldest waiting job has waited"
        )
        oldest.add_metric([], self.oldest_waiting_s)
        return [depth, oldest]


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


class PoolCollector(Collector):
    """The API's connection pool at scrape time: connections in use, idle, and overflow."""

    def __init__(self) -> None:
        self.engines: list[AsyncEngine] = []

    def watch(self, engine: AsyncEngine) -> None:
        if engine not in self.engines:
            self.engines.append(engine)

    def forget(self, engine: AsyncEngine) -> None:
        if engine in self.engines:
            self.engines.remove(engine)

    def collect(self) -> Iterable[Metric]:
        in_use = GaugeMetricFamily("doorstep_db_pool_in_use", "Connections lent out")
        idle = GaugeMetricFamily("doorstep_db_pool_idle", "Connections waiting in the pool")
        size = GaugeMetricFamily("doorstep_db_pool_size", "Connections the pool keeps")
        checked_out = idle_total = size_total = 0
        for engine in self.engines:
            pool = engine.sync_engine.pool
            if isinstance(pool, QueuePool):
                checked_out += pool.checkedout()
                idle_total += pool.checkedin()
                size_total += pool.size()
        in_use.add_metric([], checked_out)
        idle.add_metric([], idle_total)
        size.add_metric([], size_total)
        yield from (in_use, idle, size)


POOLS = PoolCollector()
REGISTRY.register(POOLS)
POOL_REGISTRY = CollectorRegistry(auto_describe=True)  # the pool alone, in multiprocess mode
POOL_REGISTRY.register(POOLS)


def render(queue: QueueSnapshot | None = None) -> bytes:
    """The metrics as Prometheus text, with the job queue's state when it could be read. With
    several processes (uvicorn --workers, the job worker), `PROMETHEUS_MULTIPROC_DIR` makes
    each process write its counters and histograms to files there, and a scrape adds up all
    of them; the pool figures are the scraped process's."""
    extra = CollectorRegistry()
    if queue is not None:
        extra.register(_Families(queue.families()))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry) + generate_latest(POOL_REGISTRY) + generate_latest(extra)
    return generate_latest(REGISTRY) + generate_latest(extra)
