"""The audit log: who deleted what, from where, with which parameters, and how many rows."""
import contextlib
import getpass
import json
import logging

import orjson

from ..db import DATABASE_ERRORS
from ..models import AuditRecord

log = logging.getLogger(__name__)
# The destructive calls, by the name their records carry.
JOBS_CLEAR = 'jobs.clear'
ITEMS_CLEAR = 'processed_items.clear'
ITEM_DELETE = 'processed_items.delete'
ACTIONS = (JOBS_CLEAR, ITEMS_CLEAR, ITEM_DELETE)
KEYS = ('id', 'created_at', 'action', 'via', 'username', 'app_password', 'remote_addr',
        'request_id', 'parameters', 'outcome', 'rows_deleted')


def cli_actor():
    """The actor of a command-line call: the operating-system user."""
    return {'via': 'cli', 'username': getpass.getuser()}


@contextlib.contextmanager
def recorded(action, parameters, actor):
    """Audit a destructive call around its work; yields a dict to fill with the rows deleted.

    The record is written before anything is deleted, so a call that cannot be audited deletes
    nothing; it ends as completed with the counts, or as failed when the work raised.
    """
    record = AuditRecord.create(action=action, parameters=_json(parameters), outcome='started',
                                **actor)
    rows = {}
    try:
        yield rows
    except BaseException:
        try:
            _finish(record.id, 'failed', rows or None)
        except DATABASE_ERRORS:
            log.exception('could not mark audit record %s as failed', record.id)
        raise
    _finish(record.id, 'completed', rows)


def _finish(record_id, outcome, rows):
    (AuditRecord.update(outcome=outcome, rows_deleted=None if rows is None else _json(rows))
     .where(AuditRecord.id == record_id).execute())


def _json(value):
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
    for key in ('parameters', 'rows_deleted'):
        if record[key] is not None:
            record[key] = orjson.loads(record[key])
    return record
