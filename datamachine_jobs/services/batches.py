"""Deleting many rows in bounded batches, each its own transaction, paced so that writers are
not starved meanwhile."""
import time

from ..db import database, is_mysql, locking

# How long one batch may hold its locks (SQLite's one write lock; MariaDB's locks on the count
# and rollup rows that writers of the same groups update too): the batch size adapts to it, from
# FIRST_BATCH, between MIN_BATCH and the configured size.
HOLD = 0.2
MIN_BATCH, FIRST_BATCH = 200, 1000
# SQLite only: a pause after each batch (a tenth of its time, at most PAUSE), in which writers
# waiting for the write lock (their busy handler retries every few milliseconds) take it before
# the next batch does.
# Measured on 1M SQLite jobs, one writer creating a job every 10 ms beside a clear of the failed
# ones with their items: fixed batches of 10,000 took 7-8 s and the writer's p99 was 2.0 s (max
# 2.9 s); paced batches, 8.1 s and 180 ms (max 180 ms).
PAUSE = 0.02


def delete_in_batches(query, key, batch_size, delete, proceed=None):
    """Call `delete(ids)` for successive batches of `key` values matching `query`, ascending.

    Each batch is read with its rows locked and deleted in one transaction, so no lock is held for
    long and an interruption leaves whole batches done. `proceed()`, when given, is asked before
    each batch: False stops there, after whole batches.
    """
    last, size = None, min(batch_size, FIRST_BATCH)
    while proceed is None or proceed():
        started = time.monotonic()
        with database.atomic():
            batch = query if last is None else query.where(key > last)
            ids = [value for (value,) in locking(batch.order_by(key).limit(size)).tuples()]
            if not ids:
                return
            delete(ids)
        last = ids[-1]
        took = time.monotonic() - started
        size = min(batch_size, max(MIN_BATCH, int(len(ids) * HOLD / max(took, 1e-3))))
        if not is_mysql():
            time.sleep(min(PAUSE, took / 10))
