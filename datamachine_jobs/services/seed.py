"""Realistic demo data: jobs over the past year across 200 flows in 20 pipelines.

Rows are generated in Python and written with the driver's executemany in large batches (one
multi-row INSERT per batch on MySQL), which is about ten times faster than ORM inserts.
"""
import functools
import random
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import islice

from peewee import fn

from .. import statuses
from ..db import database, is_mysql
from ..models import Job, ProcessedItem
from ..vocabulary import TIMESTAMP_FORMAT
from .counting import add_counts, deferred_counting

PIPELINES = 20
FLOWS_PER_PIPELINE = 10  # flow f belongs to pipeline (f - 1) // 10 + 1, so flow 42 is in pipeline 5
SPAN = timedelta(days=365)
BATCH = 20_000
WRITERS = 2
SQLITE_CACHE_KIB = -256 * 1024  # negative: KiB, not pages
SOURCES = ('rss', 'reddit', 'wordpress_api', 'files', 'googlesheets')
ERRORS = ('Handler configuration missing', 'HTTP 500 from source',
          'AI provider rate limit exceeded',
          'Publish handler rejected the post', 'Invalid OAuth token')
# (status, weight, error message or None, processed items recorded)
FINISHED = (
    (statuses.COMPLETED, 700, None, (2, 3)),
    (statuses.COMPLETED_NO_ITEMS, 100, None, (0,)),
    (statuses.AGENT_SKIPPED, 30, None, (1,)),
    ('agent_skipped - duplicate content', 20, None, (1,)),
    ('agent_skipped - low relevance', 10, None, (1,)),
    (statuses.FAILED, 70, 'error', (1,)),
    ('failed - timeout', 20, 'Execution exceeded 300 seconds', (1,)),
    ('failed - rate limited', 10, 'AI provider rate limit exceeded', (1,)),
)
UNFINISHED_SHARE = 0.01  # the newest 1% of jobs are still pending or processing

JOB_COLUMNS = ('job_id', 'pipeline_id', 'flow_id', 'status', 'started_at', 'completed_at',
               'error_message', 'created_at')
ITEM_COLUMNS = ('flow_step_id', 'source_type', 'item_identifier', 'job_id', 'flow_id',
                'pipeline_id', 'processed_at')


@functools.cache
def _flow_step_id(pipeline_id, flow_id):
    """`{pipeline_step_id}_{flow_id}`, the pipeline's fetch step being a stable UUID."""
    step = uuid.uuid5(uuid.NAMESPACE_URL, f'datamachine:pipeline:{pipeline_id}:fetch')
    return f'{step}_{flow_id}'


def _rows(count, first_id, rng, now):
    """Yield (job row, item rows) in job_id order, started_at rising with the id."""
    kinds, weights = zip(*[(k, k[1]) for k in FINISHED], strict=True)
    start = now - SPAN
    step = SPAN / max(count, 1)
    unfinished_from = int(count * (1 - UNFINISHED_SHARE))
    for n in range(count):
        job_id = first_id + n
        flow_id = rng.randint(1, PIPELINES * FLOWS_PER_PIPELINE)
        pipeline_id = (flow_id - 1) // FLOWS_PER_PIPELINE + 1
        created = start + step * n + timedelta(seconds=rng.randint(0, 59))
        created_s = created.strftime(TIMESTAMP_FORMAT)
        if n >= unfinished_from:
            status = rng.choice((statuses.PENDING, statuses.PROCESSING))
            started = created_s if status == statuses.PROCESSING else None
            yield (job_id, pipeline_id, flow_id, status, started, None, None, created_s), ()
            continue
        status, _, error, item_counts = rng.choices(kinds, weights)[0]
        if error == 'error':
            error = rng.choice(ERRORS)
        finished = created + timedelta(seconds=int(rng.expovariate(1 / 40)) + 1)
        finished_s = finished.strftime(TIMESTAMP_FORMAT)
        source = SOURCES[pipeline_id % len(SOURCES)]
        flow_step_id = _flow_step_id(pipeline_id, flow_id)
        items = tuple(
            (flow_step_id, source, f'https://source{pipeline_id}.example/items/{job_id}-{k}',
             job_id, flow_id, pipeline_id, finished_s)
            for k in range(rng.choice(item_counts)))
        yield (job_id, pipeline_id, flow_id, status, created_s, finished_s, error, created_s), items


def _next_job_id():
    """The first job id never handed out: ids are not reused, even after a clear, so the new
    jobs' items cannot collide with records kept from deleted jobs."""
    if is_mysql():
        sql = ('SELECT AUTO_INCREMENT FROM information_schema.TABLES '
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'datamachine_jobs'")
    else:
        sql = "SELECT seq + 1 FROM sqlite_sequence WHERE name = 'datamachine_jobs'"
    issued = database.execute_sql(sql).fetchone()
    highest = Job.select(fn.MAX(Job.job_id)).scalar() or 0
    return max(highest + 1, int(issued[0] or 1) if issued else 1)


def _insert_sql(model, columns):
    """The dialect's one-row INSERT for `columns`, to hand to the driver's executemany."""
    fields = [getattr(model, name) for name in columns]
    return model.insert_many([(None,) * len(fields)], fields=fields).sql()[0]


def seed(count, rng_seed=None, now=None):
    """Add `count` jobs (and their processed items) after the existing ones; return (jobs, items).

    On MySQL two connections write alternate batches, so that generating and sending one batch
    overlaps the server's work on the other. Each batch commits on its own.
    """
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    first_id = _next_job_id()
    rows = _rows(count, first_id, rng, now)
    batches = iter(lambda: list(islice(rows, BATCH)), [])
    if not is_mysql():
        # A one-writer database: grow this connection's page cache so the indexes stay in it.
        database.pragma('cache_size', SQLITE_CACHE_KIB)
        return count, sum(map(_write_batch, batches))
    # The first batch alone creates the count rows, whose gap locks concurrent inserts would fight
    # over; then two writers share the rest.
    items_written = sum(map(_write_batch, islice(batches, 1)))
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        in_flight = deque()
        for batch in batches:
            if len(in_flight) >= WRITERS:
                items_written += in_flight.popleft().result()
            in_flight.append(pool.submit(_write_batch, batch))
        return count, items_written + sum(f.result() for f in in_flight)


def _write_batch(batch):
    """Insert one batch of jobs with their items in one transaction; return the item count.

    Jobs go in (pipeline_id, flow_id, status) order, the key of the counts their triggers
    update, so concurrent batches lock count rows in one order and cannot deadlock.
    """
    items = [item for _, job_items in batch for item in job_items]
    jobs = sorted((job for job, _ in batch), key=lambda job: (job[1], job[2], job[3]))
    with database.connection_context(), database.atomic(), deferred_counting():
        cursor = database.cursor()
        cursor.executemany(_insert_sql(Job, JOB_COLUMNS), jobs)
        first, last = min(job[0] for job in jobs), max(job[0] for job in jobs)
        add_counts(f'job_id BETWEEN {database.param} AND {database.param}', (first, last), 1)
        if items:
            cursor.executemany(_insert_sql(ProcessedItem, ITEM_COLUMNS), items)
    return len(items)
