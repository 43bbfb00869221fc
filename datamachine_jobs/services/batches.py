"""Deleting many rows in bounded batches, each its own transaction."""
import time

from ..db import database, give_way, locking, retried

BATCH_SECONDS = 0.1  # what a batch should take: the longest a writer waits for one
SMALLEST_BATCH = 100


def delete_in_batches(query, key, batch_size, delete, proceed=None):
    """Call `delete(ids)` for successive batches of `key` values matching `query`, ascending.

    Each batch is read with its rows locked and deleted in one transaction, so no lock is held for
    long and an interruption leaves whole batches done. Batches hold at most `batch_size` rows
    and are sized by how long the last one took, to take about BATCH_SECONDS: a writer waiting
    for the lock (SQLite's only one, or MariaDB's on a count row) waits about that long.
    `proceed()`, when given, is asked before each batch: False stops there, after whole batches.
    A batch MariaDB rolls back to break a deadlock (with writers locking the same count and
    rollup rows) is run again.
    """
    last, size, began = None, min(batch_size, SMALLEST_BATCH * 10), []
    while proceed is None or proceed():
        @database.atomic()
        def batch(last=last, size=size):
            began[:] = [time.monotonic()]  # once the lock is taken: waiting for it is not work
            page = query if last is None else query.where(key > last)
            ids = [value for (value,) in locking(page.order_by(key).limit(size)).tuples()]
            if ids:
                delete(ids)
            return ids

        ids = retried(batch)
        if not ids:
            return
        last = ids[-1]
        size = next_size(size, time.monotonic() - began[0], batch_size)
        give_way()


def next_size(size, seconds, largest):
    """The size of the next batch after one of `size` rows took `seconds`: scaled towards
    BATCH_SECONDS, at most doubled at a time, within [SMALLEST_BATCH, largest]."""
    wanted = size * 2 if seconds <= 0 else round(size * BATCH_SECONDS / seconds)
    return max(min(SMALLEST_BATCH, largest), min(wanted, size * 2, largest))
