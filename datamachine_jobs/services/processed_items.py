"""Processed items: the deduplication records that stop a flow step from processing an item twice.

An item is identified by (flow_step_id, source_type, item_identifier), compared byte for byte. On
SQLite a unique index over the three columns finds it; on MySQL the generated 16-byte `item_key`
(first half of SHA-256 over the three joined by U+001F) does, and this module computes the same
key to look it up.
"""
import hashlib

from peewee import SQL, fn

from ..db import database, is_mysql, retried
from ..exceptions import AlreadyProcessed, ProcessedItemNotFound
from ..models import ProcessedItem, utcnow
from ..vocabulary import MAX_ID
from .batches import delete_in_batches
from .jobs import require_job

ITEM_FIELDS = (ProcessedItem.id, ProcessedItem.flow_step_id, ProcessedItem.source_type,
               ProcessedItem.item_identifier, ProcessedItem.job_id, ProcessedItem.processed_at)
ITEM_KEYS = tuple(field.name for field in ITEM_FIELDS)
IDENTITY = ('flow_step_id', 'source_type', 'item_identifier')
CLEAR_COLUMNS = {'pipeline': ProcessedItem.pipeline_id, 'flow': ProcessedItem.flow_id}


def _records(query):
    return [dict(zip(ITEM_KEYS, row, strict=True)) for row in query.tuples()]


def identity(record):
    """The triple that identifies an item."""
    return tuple(record[name] for name in IDENTITY)


def item_key(triple):
    """The MySQL `item_key` of a triple, as the generated column computes it."""
    return hashlib.sha256('\x1f'.join(triple).encode()).digest()[:16]


def _matching(triples):
    """Records whose identity is one of `triples` (an index lookup on either database)."""
    query = ProcessedItem.select(*ITEM_FIELDS)
    if is_mysql():
        return _records(query.where(SQL('item_key').in_([item_key(t) for t in triples])))
    # The three IN lists narrow the unique index; the exact triples are picked out here.
    columns = [getattr(ProcessedItem, name) for name in IDENTITY]
    for position, column in enumerate(columns):
        query = query.where(column.in_({t[position] for t in triples}))
    wanted = set(triples)
    return [r for r in _records(query) if identity(r) in wanted]


def list_items(page=1, per_page=20, **filters):
    """One page of records, newest first, and the number matching the filters."""
    conditions = [getattr(ProcessedItem, name) == value for name, value in filters.items()]
    page_query = ProcessedItem.select(*ITEM_FIELDS).order_by(ProcessedItem.id.desc())
    count_query = ProcessedItem.select(fn.COUNT(ProcessedItem.id))
    if conditions:
        page_query, count_query = page_query.where(*conditions), count_query.where(*conditions)
    return _records(page_query.paginate(page, per_page)), count_query.scalar()


def find(flow_step_id, source_type, item_identifier):
    """The record of this item, or None."""
    found = _matching([(flow_step_id, source_type, item_identifier)])
    return found[0] if found else None


def record_items(job_id, items):
    """Record items processed by a job in one transaction; return (created records, skipped).

    Items already recorded, or repeated within `items`, are skipped.
    """
    job = require_job(job_id)
    triples = list(dict.fromkeys(identity(item) for item in items))  # first occurrence wins

    @database.atomic()
    def record():
        recorded = {identity(r) for r in _matching(triples)}
        new = [t for t in triples if t not in recorded]
        if new:
            now = utcnow()
            rows = [dict(zip(IDENTITY, t, strict=True), job_id=job_id, flow_id=job['flow_id'],
                         pipeline_id=job['pipeline_id'], processed_at=now) for t in new]
            ProcessedItem.insert_many(rows).on_conflict_ignore().execute()
        return [r for r in _matching(new) if r['job_id'] == job_id] if new else []

    created = retried(record)
    created.sort(key=lambda r: r['id'])
    return created, len(items) - len(created)


def record_item(job_id, item):
    """Record one item; return the record, or raise AlreadyProcessed with the earlier one."""
    created, _ = record_items(job_id, [item])
    if created:
        return created[0]
    raise AlreadyProcessed(find(*identity(item)))


def delete_item(item_id):
    """Delete one record, or raise ProcessedItemNotFound (also for an id beyond any row's, which
    the view audits as a failed attempt before it gets here)."""
    if item_id > MAX_ID or not ProcessedItem.delete().where(ProcessedItem.id == item_id).execute():
        raise ProcessedItemNotFound(item_id)


def item_bound():
    """The highest record id now: a clear bounded by it keeps records made after it began."""
    return ProcessedItem.select(fn.MAX(ProcessedItem.id)).scalar() or 0


def _cleared(clear_type, target_id, bound):
    """The ids of the records a clear deletes: its pipeline's or flow's, up to `bound`."""
    return ProcessedItem.select(ProcessedItem.id).where(CLEAR_COLUMNS[clear_type] == target_id,
                                                        ProcessedItem.id <= bound)


def count_clear(clear_type, target_id, bound):
    """How many records clear_items would delete now."""
    return _cleared(clear_type, target_id, bound).count()


def clear_items(clear_type, target_id, batch_size, bound, progress, proceed=None):
    """Delete the records of a pipeline or a flow up to `bound`, in batches, telling
    `progress(processed_items=)` what each deleted, inside the batch's transaction; `proceed()`
    may stop it between batches."""
    delete_in_batches(_cleared(clear_type, target_id, bound), ProcessedItem.id, batch_size,
                      lambda ids: progress(processed_items=ProcessedItem.delete().where(
                          ProcessedItem.id.in_(ids)).execute()), proceed)
