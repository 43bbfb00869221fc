"""Realistic demo data: jobs over the past year across 200 flows in 20 pipelines.

Rows are generated in Python and written with the driver's executemany in large batches (one
multi-row INSERT per batch on MySQL), which is about ten times faster than ORM inserts.
"""
import random
import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice

from peewee import fn

from .. import statuses
from ..db import database
from ..models import TIMESTAMP_FORMAT, Job, ProcessedItem

PIPELINES = 20
FLOWS_PER_PIPELINE = 10  # flow f belongs to pipeline (f - 1) // 10 + 1, so flow 42 is in pipeline 5
SPAN = timedelta(days=365)
BATCH = 20_000
SOURCES = ('rss', 'reddit', 'wordpress_api', 'files', 'googlesheets')
ERRORS = ('Handler configuration missing', 'HTTP 500 from source', 'AI provider rate limit exceeded',
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


def _flow_step_id(pipeline_id, flow_id):
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


def _insert_sql(model, columns):
    """The dialect's one-row INSERT for `columns`, to hand to the driver's executemany."""
    fields = [getattr(model, name) for name in columns]
    return model.insert_many([(None,) * len(fields)], fields=fields).sql()[0]


def seed(count, rng_seed=None, now=None):
    """Add `count` jobs (and their processed items) after the existing ones; return (jobs, items)."""
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    first_id = (Job.select(fn.MAX(Job.job_id)).scalar() or 0) + 1
    job_sql = _insert_sql(Job, JOB_COLUMNS)
    item_sql = _insert_sql(ProcessedItem, ITEM_COLUMNS)
    rows = _rows(count, first_id, rng, now)
    items_written = 0
    while batch := list(islice(rows, BATCH)):
        items = [item for _, job_items in batch for item in job_items]
        with database.atomic():
            cursor = database.cursor()
            cursor.executemany(job_sql, [job for job, _ in batch])
            if items:
                cursor.executemany(item_sql, items)
        items_written += len(items)
    return count, items_written
