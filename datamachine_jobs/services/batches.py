"""Deleting many rows in bounded batches, each its own transaction."""
from ..db import database, locking


def delete_in_batches(query, key, batch_size, delete, proceed=None):
    """Call `delete(ids)` for successive batches of `key` values matching `query`, ascending.

    Each batch is read with its rows locked and deleted in one transaction, so no lock is held for
    long and an interruption leaves whole batches done. `proceed()`, when given, is asked before
    each batch: False stops there, after whole batches.
    """
    last = None
    while proceed is None or proceed():
        with database.atomic():
            batch = query if last is None else query.where(key > last)
            ids = [value for (value,) in
                   locking(batch.order_by(key).limit(batch_size)).tuples()]
            if not ids:
                return
            delete(ids)
        last = ids[-1]
