"""Idempotency keys: the first request with a key fixes what it does, and its answer is kept for
the key's repeats (the IETF httpapi Idempotency-Key draft).

A write done in one transaction claims its key in that same transaction and stores its answer
before committing, so a key is either unused or answered. A clear runs in many transactions: it
claims its key in a transaction of its own and holds the key's lock while it runs (see locks),
so that a repeat can tell a clear still running from one whose process died and take it over.
"""
import time
from datetime import UTC, datetime, timedelta

import orjson
from peewee import IntegrityError

from ..db import database
from ..models import IdempotencyKey
from ..vocabulary import TIMESTAMP_FORMAT
from . import locks

KEPT_HEADERS = ('Location', 'Preference-Applied')
# How long a repeat waits for the lock of a clear that holds its key before answering 409: a
# proxy repeats a request at once when its process dies, a moment before the database server
# has noticed that the connection holding the lock is gone.
TAKEOVER_WAIT = 2.0
PURGE_INTERVAL = 60  # seconds between two deletions of expired keys by one process
_last_purge = {'at': float('-inf')}


class Claim:
    """A key this request holds: its row, the lock of a clear's key, and the clear it began."""

    def __init__(self, row_id, audit_id=None, lock=None):
        self.row_id, self.audit_id, self.lock = row_id, audit_id, lock


class Used:
    """A key claimed before: by the same request (`answer` is what it got, or None while a clear
    it began runs on) or by another one (`matches` is False)."""

    def __init__(self, row, fingerprint):
        self.row = row
        self.matches = row.fingerprint == fingerprint
        self.answer = None if row.status_code is None else (
            row.status_code, *_unpack(row.response))


def claim(user_id, key, fingerprint, ttl):
    """Claim `key` of this user inside the caller's transaction: a new Claim, or Used."""
    now = datetime.now(UTC)
    row = {'user_id': user_id, 'idempotency_key': key, 'fingerprint': fingerprint,
           'expires_at': (now + timedelta(seconds=ttl)).strftime(TIMESTAMP_FORMAT)}
    for _ in range(2):
        try:  # a duplicate fails this statement only: the transaction goes on (both databases)
            return Claim(IdempotencyKey.insert(**row).execute())
        except IntegrityError:
            # A concurrent first request's insert made this wait until it committed. A plain
            # read sees what it committed: the claim is its transaction's first statement, so
            # InnoDB takes the read's snapshot only now. (A locking read would deadlock with the
            # other repeats, which hold the same shared lock from their own duplicate check.)
            found = IdempotencyKey.select().where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.idempotency_key == key).first()
            if found is None:
                continue  # it rolled back in between
            if found.expires_at > now.strftime(TIMESTAMP_FORMAT):
                return Used(found, fingerprint)
            IdempotencyKey.delete().where(IdempotencyKey.id == found.id).execute()
    raise RuntimeError(f'idempotency key {key!r} could not be claimed')


def claim_operation(user_id, key, fingerprint, ttl):
    """Claim `key` for a clear: a Claim holding the key's lock (resuming the clear an earlier
    request began when its process is gone), or Used (its `answer` None while it still runs)."""
    outcome = None
    try:
        with database.atomic():
            outcome = claim(user_id, key, fingerprint, ttl)
            if isinstance(outcome, Claim):
                outcome.lock = locks.acquire_new(_lock_name(outcome.row_id))
    except BaseException:
        if isinstance(outcome, Claim) and outcome.lock is not None:
            outcome.lock.release()
        raise
    if isinstance(outcome, Claim):
        return outcome
    if outcome.answer is not None or not outcome.matches:
        return outcome
    lock = locks.acquire(_lock_name(outcome.row.id), wait=TAKEOVER_WAIT)
    if lock is None:
        return outcome  # still running elsewhere
    row = IdempotencyKey.get_by_id(outcome.row.id)  # as its last holder left it
    if row.status_code is not None:
        lock.release()
        return Used(row, fingerprint)
    return Claim(row.id, row.audit_id, lock)


def attach(claim_, audit_id):
    """Tie the clear a claim began to its key, so that a repeat resumes that same clear."""
    claim_.audit_id = audit_id
    IdempotencyKey.update(audit_id=audit_id).where(IdempotencyKey.id == claim_.row_id).execute()


def answer(claim_, status, body, headers):
    """Keep the answer of the request that holds the claim."""
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    (IdempotencyKey.update(status_code=status, response=orjson.dumps(
        {'body': orjson.loads(body), 'headers': kept}).decode())
     .where(IdempotencyKey.id == claim_.row_id).execute())


def release(claim_, keep=True):
    """Let the claim go: kept (a clear that began, for a repeat to resume or replay) or forgotten
    (nothing was done, so a repeat starts afresh)."""
    try:
        if not keep:
            IdempotencyKey.delete().where(IdempotencyKey.id == claim_.row_id).execute()
    finally:
        if claim_.lock is not None:
            claim_.lock.release()


def _unpack(response):
    stored = orjson.loads(response)
    return stored['body'], stored['headers']


def purge_expired():
    """Delete expired keys, at most once a minute per process (they are ignored anyway); outside
    any transaction, so that its range lock is held for one statement only."""
    if time.monotonic() - _last_purge['at'] < PURGE_INTERVAL:
        return
    _last_purge['at'] = time.monotonic()
    now = datetime.now(UTC).strftime(TIMESTAMP_FORMAT)
    IdempotencyKey.delete().where(IdempotencyKey.expires_at < now).execute()


def _lock_name(row_id):
    return f'idempotency-{row_id}'
