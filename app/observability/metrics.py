"""Prometheus metrics in a registry of our own (not the client's global one), so that every
app built in one process (the tests build hundreds) shares one set and nothing registers twice.

Route labels are route templates (`/api/v1/walk_lists/{list_id}`), never concrete paths: ids
would explode the series, and a query string can hold a name typed into a search box.
"""

import os
from collections.abc import Iterable

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


def render() -> bytes:
    """The metrics as Prometheus text. With several server processes (uvicorn --workers),
    `PROMETHEUS_MULTIPROC_DIR` makes each process write its counters and histograms to files
    there, and a scrape adds up all of them; the pool figures are the scraped process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry) + generate_latest(POOL_REGISTRY)
    return generate_latest(REGISTRY)
