"""Deleting many rows in bounded batches, each its own transaction."""
from ..db import database, locking, retried


def delete_in_batches(query, key, batch_size, delete, proceed=None):
    """Call `delete(ids)` for successive batches of `key` values matching `query`, ascending.

    Each batch is read with its rows locked and deleted in one transaction, so no lock is held for
    long and an interruption leaves whole batches done. `proceed()`, when given, is asked before
    each batch: False stops there, after whole batches. A batch MariaDB rolls back to break a
    deadlock (with writers locking the same count and rollup rows) is run again.
    """
    last = None
    while proceed is None or proceed():
        @database.atomic()
        def batch(last=last):
            page = query if last is None else query.where(key > last)
            ids = [value for (value,) in locking(page.order_by(key).limit(batch_size)).tuples()]
            if ids:
                delete(ids)
            return ids

        ids = retried(batch)
        if not ids:
            return
        last = ids[-1]
