"""The audit log: who deleted what, from where, with which parameters, and how many rows."""
import contextlib
import getpass
import json
import logging
import os
import socket

import orjson

from ..db import DATABASE_ERRORS, database
from ..models import AuditRecord
from . import locks

log = logging.getLogger(__name__)
STARTED, COMPLETED, FAILED, INTERRUPTED, CANCELLED = (
    'started', 'completed', 'failed', 'interrupted', 'cancelled')
KEYS = ('id', 'created_at', 'action', 'via', 'username', 'app_password', 'remote_addr',
        'request_id', 'process', 'parameters', 'outcome', 'rows_deleted')


def cli_actor():
    """The actor of a command-line call: the operating-system user."""
    return {'via': 'cli', 'username': getpass.getuser()}


class Operation:
    """A destructive call being carried out: its audit record, the lock that says it runs, the
    bound it fixed when it began, and the rows deleted so far by every run of it."""

    def __init__(self, record_id, bound, rows, lock):
        self.record_id, self.bound, self.rows, self._lock = record_id, bound, rows, lock
        self.rows_this_run = {}
        self.outcome = COMPLETED  # how `running` ends it when its work returns (or CANCELLED)

    def progress(self, **counts):
        """Add a batch's deleted rows; call it inside the batch's transaction, so that the record
        says exactly what an interrupted call had done."""
        for table, count in counts.items():
            self.rows[table] = self.rows.get(table, 0) + count
            self.rows_this_run[table] = self.rows_this_run.get(table, 0) + count
        _update(self.record_id, rows_deleted=json_text(self.rows))

    def finish(self, outcome, rows=None, then=None):
        """End the call with `outcome`, and `rows` when given (else the record keeps the rows of
        the batches that committed); `then()` runs in the same transaction, and the lock goes
        after it commits."""
        values = {'outcome': outcome} if rows is None else {'outcome': outcome,
                                                             'rows_deleted': json_text(rows)}
        try:
            with database.atomic():
                _update(self.record_id, **values)
                if then is not None:
                    then()
        finally:
            self._lock.release()


def start(action, parameters, actor, bound=None, then=None):
    """Record a destructive call as started, before it deletes anything, and hold its lock;
    `then(record_id)` runs in the same transaction."""
    lock = None
    try:
        with database.atomic():
            record = AuditRecord.create(action=action, parameters=json_text(parameters),
                                        outcome=STARTED, bound=bound, process=this_process(),
                                        **actor)
            lock = locks.acquire_new(_lock_name(record.id))  # before anyone sees the record
            if then is not None:
                then(record.id)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return Operation(record.id, bound, {}, lock)


def resume(record_id, wanted=None):
    """Take over the call of this record when its process is gone; None while it still runs, or
    when `wanted()`, asked once the lock is taken, says the call is no longer to be carried on."""
    lock = locks.acquire(_lock_name(record_id))
    if lock is None:
        return None
    try:
        carry_on = wanted is None or wanted()
        if carry_on:
            record = AuditRecord.get_by_id(record_id)
            _update(record_id, outcome=STARTED, process=this_process())
    except BaseException:
        lock.release()
        raise
    if not carry_on:
        lock.release()
        return None
    rows = orjson.loads(record.rows_deleted) if record.rows_deleted else {}
    return Operation(record_id, record.bound, rows, lock)


@contextlib.contextmanager
def running(operation, tables=(), then=None):
    """Carry out an operation: ended with its `outcome` (completed, unless the block said
    cancelled) and its rows (zero for each of `tables` untouched) when the block ends, or failed
    when it raises; `then(outcome, error)` runs in the transaction that ends the record."""
    try:
        yield operation
    except BaseException as error:
        try:
            operation.finish(FAILED, then=_bound_call(then, FAILED, error))
        except DATABASE_ERRORS:
            log.exception('could not mark audit record %s as failed', operation.record_id)
        raise
    operation.rows = {**dict.fromkeys(tables, 0), **operation.rows}
    operation.finish(operation.outcome, operation.rows,
                     then=_bound_call(then, operation.outcome, None))


def _bound_call(then, *args):
    return None if then is None else lambda: then(*args)


def recorded(action, parameters, actor, bound=None, tables=()):
    """Audit a destructive call around its work: the record is written before anything is
    deleted, so a call that cannot be audited deletes nothing."""
    return running(start(action, parameters, actor, bound), tables)


def this_process():
    """`host:pid` of this process, as the audit record names who carries a call out."""
    return f'{socket.gethostname()}:{os.getpid()}'[:100]


def _update(record_id, **values):
    AuditRecord.update(**values).where(AuditRecord.id == record_id).execute()


def _lock_name(record_id):
    return f'audit-{record_id}'


def json_text(value):
    """JSON text of what a client sent, whatever it holds (orjson stops at 64-bit integers)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return json.dumps(value, default=str)


def list_records(per_page=50, offset=0, action=None, username=None):
    """A page of records, newest first, and how many match."""
    query = AuditRecord.select()
    if action is not None:
        query = query.where(AuditRecord.action == action)
    if username is not None:
        query = query.where(AuditRecord.username == username)
    total = query.count()
    page = query.order_by(AuditRecord.id.desc()).limit(per_page).offset(offset).dicts()
    return [_as_dict(row) for row in page], total


def _as_dict(row):
    record = {key: row[key] for key in KEYS}
    if record['outcome'] == STARTED and not locks.is_held(_lock_name(record['id'])):
        # Its process is gone, unless it finished between the two reads.
        current = AuditRecord.get_by_id(record['id'])
        record.update(outcome=current.outcome, rows_deleted=current.rows_deleted)
        if current.outcome == STARTED:
            record['outcome'] = INTERRUPTED
    for key in ('parameters', 'rows_deleted'):
        if record[key] is not None:
            record[key] = orjson.loads(record[key])
    return record
