"""Operations: clears that outlive their request (`Prefer: respond-async`).

A request queues one (the request as received, the arguments of the clear and the bound that
keeps rows made later) and a thread of the worker that received it carries it out through the
same clear functions and the same audit record as a clear that is waited for.

The row is also a lease: the process carrying an operation out (`owner`) renews `heartbeat_at`
with each batch, inside the batch's transaction. When a worker dies its heartbeat ages, and once
it is older than the lease another process claims the operation with a conditional UPDATE (of
several claiming at once, one wins) and resumes it from its audit record. The audit record's
lock says whether the first process is really gone: while it lives it keeps the lock and runs
on, and the claimant leaves it alone. The bound makes the resumed run finish exactly the set the
first one began.
"""
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from ..db import DATABASE_ERRORS, database, locking, retried
from ..exceptions import OperationFinished, OperationNotFound
from ..models import AsyncOperation, utcnow
from ..vocabulary import (
    CANCELLED,
    FAILED,
    ITEMS_CLEAR,
    JOBS_CLEAR,
    MAX_ID,
    QUEUED,
    RETENTION_RUN,
    RUNNING,
    TIMESTAMP_FORMAT,
)
from . import audit, clearing, processed_items, retention

log = logging.getLogger(__name__)
LIVE = (QUEUED, RUNNING)
ROWS = ('jobs', 'processed_items')  # what rows_matched and rows_done count, whatever the action
KEYS = ('id', 'action', 'state', 'parameters', 'bound', 'rows_matched', 'rows_done', 'created_at',
        'started_at', 'finished_at', 'cancel_requested_at', 'error', 'audit_id')
WATCH_INTERVAL = 5.0  # seconds at most between two looks for expired leases by one process


@dataclass(frozen=True)
class Action:
    """How one kind of operation is carried out, each part taking the stored arguments: the
    tables its audit record counts, its bound, what it matches and the clear itself."""

    tables: tuple
    bound: Callable
    count: Callable  # (bound, **arguments) -> {table: rows}
    clear: Callable  # (batch_size=, bound=, progress=, proceed=, **arguments)


def _count_jobs(bound, failed_only, cleanup_processed, **scope):
    jobs, items, _ = clearing.preview_clear(failed_only, cleanup_processed, bound=bound, **scope)
    return {'jobs': jobs, 'processed_items': items}


def _count_items(bound, clear_type, target_id):
    return {'processed_items': processed_items.count_clear(clear_type, target_id, bound)}


def _fixed(now, items_bound):
    """What a retention run keeps from when it was queued, as retention.steps takes it."""
    return {'now': datetime.strptime(now, TIMESTAMP_FORMAT), 'items_bound': items_bound}


def _count_retention(bound, rules, now, items_bound):
    found = retention.preview(rules, jobs_bound=bound, **_fixed(now, items_bound))
    return {'jobs': sum(r['rows'] for r in found if r['rule'] != retention.ITEMS),
            'processed_items': sum(r['rows'] for r in found if r['rule'] == retention.ITEMS)}


def _run_retention(batch_size, bound, progress, proceed, rules, now, items_bound):
    retention.run(rules, batch_size, progress, proceed, jobs_bound=bound,
                  **_fixed(now, items_bound))


ACTIONS = {
    JOBS_CLEAR: Action(('jobs', 'processed_items'), clearing.job_bound, _count_jobs,
                       clearing.clear_jobs),
    ITEMS_CLEAR: Action(('processed_items',), processed_items.item_bound, _count_items,
                        processed_items.clear_items),
    RETENTION_RUN: Action(('jobs', 'processed_items'), clearing.job_bound, _count_retention,
                          _run_retention),
}


def enqueue(action, parameters, arguments, actor):
    """Queue a clear for this process to carry out: its bound is fixed now, and this process
    holds its lease from the start. Return the operation."""
    now = utcnow()
    operation_id = AsyncOperation.insert(
        created_at=now, action=action, state=QUEUED, parameters=audit.json_text(parameters),
        arguments=audit.json_text(arguments), actor=audit.json_text(actor),
        bound=ACTIONS[action].bound(), rows_done=audit.json_text(_rows({})),
        owner=audit.this_process(), heartbeat_at=now).execute()
    return get(operation_id)


def get(operation_id):
    """One operation, or raise OperationNotFound (also for an id beyond any row's)."""
    row = None if operation_id > MAX_ID else AsyncOperation.get_or_none(
        AsyncOperation.id == operation_id)
    if row is None:
        raise OperationNotFound(operation_id)
    return _as_dict(row)


def list_operations(per_page=50, offset=0):
    """A page of operations, newest first, and how many there are."""
    query = AsyncOperation.select()
    page = query.order_by(AsyncOperation.id.desc()).limit(per_page).offset(offset)
    return [_as_dict(row) for row in page], query.count()


def cancel(operation_id):
    """Cancel an operation: a queued one ends now, a running one stops before its next batch
    (what it deleted stays deleted). Return it as it stands; OperationFinished if it had ended."""
    now = utcnow()
    with database.atomic():
        row = locking(AsyncOperation.select().where(AsyncOperation.id == operation_id)).first() \
            if operation_id <= MAX_ID else None
        if row is None:
            raise OperationNotFound(operation_id)
        if row.state not in LIVE:
            raise OperationFinished(row.state)
        changes = {'cancel_requested_at': row.cancel_requested_at or now}
        if row.state == QUEUED:  # its thread, starting, sees it is no longer queued
            changes.update(state=CANCELLED, finished_at=now)
        _update(operation_id, **changes)
    return get(operation_id)


def claim_expired(lease, queued_too=False):
    """Take over the lease of every operation whose process has not shown it was alive for
    `lease` seconds (and with `queued_too`, of every queued one); return their ids. Of several
    processes claiming at once, one gets each operation."""
    cutoff = (datetime.now(UTC) - timedelta(seconds=lease)).strftime(TIMESTAMP_FORMAT)
    claimable = AsyncOperation.state.in_(LIVE) & (AsyncOperation.heartbeat_at < cutoff)
    if queued_too:
        claimable |= AsyncOperation.state == QUEUED
    candidates = AsyncOperation.select(AsyncOperation.id, AsyncOperation.owner).where(
        claimable).order_by(AsyncOperation.id)
    me = audit.this_process()
    claimed = []
    for operation_id, owner in candidates.tuples():
        taken = AsyncOperation.update(owner=me, heartbeat_at=utcnow()).where(
            AsyncOperation.id == operation_id, claimable).execute()
        # MySQL counts only the rows an UPDATE changed: the lease of this very process, renewed
        # within the same second, changes nothing, yet is ours.
        if taken or owner == me:
            claimed.append(operation_id)
    return claimed


def run(operation_id, batch_size, counted=None):
    """Carry out an operation whose lease this process holds, to its end, and return how it
    ended: completed, cancelled or failed (the error is logged). None when it is not this
    process's to run: it was cancelled or had ended, another process claimed it since, or the
    process it was taken from still runs it. `counted(rows)` gets the rows this run deleted."""
    me = audit.this_process()
    row = AsyncOperation.get_by_id(operation_id)
    action, arguments = ACTIONS[row.action], orjson.loads(row.arguments)
    audited = _take_up(row, me)
    if audited is None:
        return None
    stopped = []

    def proceed():
        if AsyncOperation.select(AsyncOperation.cancel_requested_at).where(
                AsyncOperation.id == operation_id).scalar() is not None:
            stopped.append(True)
        return not stopped

    def progress(**counts):
        audited.progress(**counts)
        _update(operation_id, rows_done=audit.json_text(_rows(audited.rows)),
                heartbeat_at=utcnow(), owner=me)

    def end(outcome, error):
        values = {'state': outcome, 'finished_at': utcnow()}
        if outcome == FAILED:  # rows_done already says what the committed batches deleted
            values['error'] = _failure_message(error)
        else:
            values['rows_done'] = audit.json_text(_rows(audited.rows))
        _update(operation_id, **values)

    try:
        with audit.running(audited, action.tables, then=end):
            if row.rows_matched is None:  # counted once, when it starts
                _update(operation_id, rows_matched=audit.json_text(
                    _rows(action.count(audited.bound, **arguments))))
            action.clear(batch_size=batch_size, bound=audited.bound, progress=progress,
                         proceed=proceed, **arguments)
            if stopped:
                audited.outcome = CANCELLED
    except Exception:
        log.exception('operation %s failed', operation_id)
        return FAILED
    finally:
        if counted is not None:
            counted(audited.rows_this_run)
    return audited.outcome


def in_background(operation_id, batch_size, counted=None):
    """Run an operation in a daemon thread of this process, on a connection of its own."""
    thread = threading.Thread(target=_run_logged, args=(operation_id, batch_size, counted),
                              name=f'operation-{operation_id}', daemon=True)
    thread.start()
    return thread


def watch_leases(lease, batch_size, counted=None):
    """Start this process's watch over leases: every few seconds, take over the operations whose
    process died and run each in a thread. Return the watching thread and the event that stops
    it."""
    stop = threading.Event()
    thread = threading.Thread(target=_watch, args=(lease, batch_size, counted, stop),
                              name='operation-leases', daemon=True)
    thread.start()
    return thread, stop


def _watch(lease, batch_size, counted, stop):
    while not stop.wait(min(WATCH_INTERVAL, lease / 3)):
        try:
            with database.connection_context():
                claimed = claim_expired(lease)
        except DATABASE_ERRORS:
            log.warning('could not look for operations to take over', exc_info=True)
            continue
        for operation_id in claimed:
            log.info('taking over operation %s, whose lease expired', operation_id)
            in_background(operation_id, batch_size, counted)


def _run_logged(operation_id, batch_size, counted):
    try:
        with database.connection_context():
            run(operation_id, batch_size, counted)
    except Exception:  # a thread has nobody to raise to
        log.exception('operation %s could not be carried out', operation_id)


def _take_up(row, me):
    """The audit.Operation to carry `row` on with, or None when it is not this process's to run:
    a queued operation starts (its record written, in the transaction that marks it running), a
    running one resumes its record once the process before has let it go."""
    if row.state == QUEUED:
        def mark_running(record_id):
            now = utcnow()
            if not _update_if(row.id, QUEUED, me, state=RUNNING, audit_id=record_id,
                              started_at=now, heartbeat_at=now):
                raise _NotOurs
        try:
            return audit.start(row.action, orjson.loads(row.parameters),
                               orjson.loads(row.actor), row.bound, then=mark_running)
        except _NotOurs:
            return None
    if row.state == RUNNING:
        return audit.resume(row.audit_id, wanted=lambda: _still_running_for(row.id, me))
    return None


def _still_running_for(operation_id, owner):
    """Whether the operation still runs under this owner's lease, read as the last writer left
    it (a process ending it meanwhile has committed by the time this read gets its row)."""
    with database.atomic():
        row = locking(AsyncOperation.select(AsyncOperation.state, AsyncOperation.owner).where(
            AsyncOperation.id == operation_id)).first()
    return row is not None and (row.state, row.owner) == (RUNNING, owner)


class _NotOurs(Exception):
    """The queued operation was cancelled or claimed by another process meanwhile."""


def _update_if(operation_id, was, owner, **values):
    """Change the operation if it is still in state `was` with this `owner`; say whether it was
    (`values` must change the row: MySQL counts only the rows an UPDATE changed)."""
    return AsyncOperation.update(**values).where(
        AsyncOperation.id == operation_id, AsyncOperation.state == was,
        AsyncOperation.owner == owner).execute() == 1


def _update(operation_id, **values):
    """Write to an operation's row as every writer does (db.retried): on SQLite a lone UPDATE
    would wait in SQLite's busy handler, which seldom catches the gaps a clear's batches leave,
    and give up after the timeout."""
    retried(AsyncOperation.update(**values).where(AsyncOperation.id == operation_id).execute)


def _failure_message(error):
    """What an operation's `error` says: the kind of failure (the detail goes to the log)."""
    cause = ('The database failed' if isinstance(error, DATABASE_ERRORS)
             else 'An unexpected error stopped the operation')
    return (f'{cause} part-way through; the batches deleted until then stay deleted. Send the '
            'clear again to finish it.')


def _rows(rows):
    return {**dict.fromkeys(ROWS, 0), **rows}


def _as_dict(row):
    operation = {key: getattr(row, key) for key in KEYS}
    for key in ('parameters', 'rows_matched', 'rows_done'):
        if operation[key] is not None:
            operation[key] = orjson.loads(operation[key])
    return operation
