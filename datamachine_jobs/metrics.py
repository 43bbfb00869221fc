"""Prometheus metrics.

Under gunicorn every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR, and a scrape
sums them all (prometheus-client's multiprocess mode; gunicorn.conf.py sets the folder up). The
job gauges are read from the database at scrape time, so they are right whoever writes the jobs.
"""
import os
from datetime import UTC, datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from . import statuses
from .config import settings
from .db import DATABASE_ERRORS, database
from .services import gauges, leases

REQUESTS = Counter('datamachine_http_requests', 'HTTP requests answered.',
                   ['route', 'method', 'status'])
LATENCY = Histogram('datamachine_http_request_duration_seconds', 'Time to answer a request.',
                    ['route', 'method'],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
ROWS_DELETED = Counter('datamachine_rows_deleted', 'Rows deleted by clears and deletions.',
                       ['table'])
AUTH_FAILURES = Counter('datamachine_auth_failures', 'Requests refused by authentication (no or '
                        'wrong credentials) or authorisation (missing capability).', ['reason'])
CONTENT_TYPE = CONTENT_TYPE_LATEST

class DatabaseCollector:
    """Gauges read from the database per scrape: jobs by base status (from the counts the
    database keeps), the age of the oldest pending job (the one with the smallest id, one index
    step away), the stuck jobs and the age of the oldest processing one (both read through the
    base_status index: the unfinished jobs only); `datamachine_database_up` is 0 when they could
    not be read."""

    def collect(self):
        up = GaugeMetricFamily('datamachine_database_up', 'Whether the database answered the '
                               'scrape (1) or not (0).')
        try:
            config = settings()
            with database.connection_context():
                counts = gauges.jobs_by_status()
                oldest = gauges.oldest_pending_created_at()
                stuck = gauges.stuck_jobs(*leases.cutoffs(config.stuck_timeout,
                                                          config.stuck_pending_timeout))
                oldest_processing = gauges.oldest_processing_started_at()
        except DATABASE_ERRORS:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily('datamachine_jobs', 'Jobs by base status.',
                                 labels=['base_status'])
        for base in statuses.BASE_STATUSES:
            jobs.add_metric([base], int(counts.get(base, 0)))
        yield jobs
        yield GaugeMetricFamily('datamachine_oldest_pending_job_age_seconds',
                                'Age of the oldest pending job (0 when none is pending).',
                                value=0 if oldest is None else _age(oldest))
        yield GaugeMetricFamily('datamachine_jobs_stuck', 'Jobs stuck: processing with no '
                                'heartbeat for DATAMACHINE_STUCK_TIMEOUT, or pending for '
                                'DATAMACHINE_STUCK_PENDING_TIMEOUT.', value=int(stuck))
        yield GaugeMetricFamily('datamachine_oldest_processing_job_age_seconds',
                                'Time since the processing job that started first started (0 '
                                'when none is processing).',
                                value=0 if oldest_processing is None else _age(oldest_processing))


def _age(created_at):
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at[:19])
    return max(0.0, (datetime.now(UTC).replace(tzinfo=None) - created_at).total_seconds())


def exposition():
    """The text of a scrape: every worker's samples when multiprocess, plus the database's."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    if os.environ.get('PROMETHEUS_MULTIPROC_DIR'):
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY) + generate_latest(registry)


def count_deleted(rows):
    """Add a destructive call's deleted rows, {table: n}, to the counters."""
    for table, count in rows.items():
        ROWS_DELETED.labels(table).inc(count)
