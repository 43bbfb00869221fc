"""Deleting many rows in bounded batches, each its own transaction."""
from peewee import OperationalError

from ..db import database, locking

DEADLOCK = 1213  # MariaDB's error when it rolls a transaction back to break a deadlock
DEADLOCK_RETRIES = 5


def delete_in_batches(query, key, batch_size, delete, proceed=None):
    """Call `delete(ids)` for successive batches of `key` values matching `query`, ascending.

    Each batch is read with its rows locked and deleted in one transaction, so no lock is held for
    long and an interruption leaves whole batches done. `proceed()`, when given, is asked before
    each batch: False stops there, after whole batches. A batch MariaDB rolls back to break a
    deadlock (with writers locking the same count and rollup rows) is run again.
    """
    last = None
    while proceed is None or proceed():
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                with database.atomic():
                    batch = query if last is None else query.where(key > last)
                    ids = [value for (value,) in
                           locking(batch.order_by(key).limit(batch_size)).tuples()]
                    if not ids:
                        return
                    delete(ids)
                break
            except OperationalError as exc:  # the batch was rolled back whole: do it again
                if attempt == DEADLOCK_RETRIES or not _deadlock(exc):
                    raise
        last = ids[-1]


def _deadlock(exc):
    """True for MariaDB's deadlock error (peewee keeps the driver's error as `orig`)."""
    return getattr(getattr(exc, 'orig', None), 'args', (None,))[:1] == (DEADLOCK,)
