"""Dashboard sessions, WordPress's cookie-and-nonce model: a random token in an HttpOnly cookie
(kept here only as a keyed digest) names the session, and a request it authenticates must also
carry a nonce derived from it, which a page of another site cannot read.

A session is bound to the application password that opened it: revoking the password ends the
session at its next request on every worker, since each request reads both rows. It also ends
after `idle` seconds without a request or `lifetime` seconds after it began.
"""
import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from ..db import database, unless_busy
from ..models import Session, timestamp_text, utcnow
from ..vocabulary import TIMESTAMP_FORMAT

# last_seen_at is written at most this often per session, so that reads stay reads.
TOUCH_INTERVAL = timedelta(minutes=1)
# A nonce is good for its half-day and the next, as WordPress's are (12 to 24 hours).
NONCE_TICK = 12 * 3600
# Every request authenticated by a session runs this.
LIVE_SESSION_SQL = (
    'SELECT s.id, s.created_at, s.last_seen_at, p.id, p.name, u.id, u.username, u.role '
    'FROM datamachine_sessions s '
    'JOIN datamachine_app_passwords p ON p.id = s.app_password_id '
    'JOIN datamachine_users u ON u.id = p.user_id '
    'WHERE s.token_digest = {mark} AND p.revoked_at IS NULL')


class LiveSession(NamedTuple):
    session_id: int
    password_id: int
    password_name: str
    user_id: int
    username: str
    role: str


def token_digest(token, key):
    return hashlib.blake2b(token.encode(), key=key, digest_size=32, person=b'session').hexdigest()


def open_session(password_id, key, idle, lifetime):
    """Start a session for an application password; return its token (for the cookie). Sessions
    that have ended are deleted on the way."""
    token = secrets.token_urlsafe(32)
    with database.atomic():
        _delete_ended(idle, lifetime)
        Session.create(token_digest=token_digest(token, key), app_password=password_id)
    return token


def find_live(token, key, idle, lifetime):
    """The LiveSession of a cookie's token, or None when it names no live session."""
    row = database.execute_sql(LIVE_SESSION_SQL.format(mark=database.param),
                               (token_digest(token, key),)).fetchone()
    if row is None:
        return None
    session_id, created_at, last_seen_at, *principal = row
    now = datetime.now(UTC)
    if (timestamp_text(last_seen_at) < _before(now, idle) or
            timestamp_text(created_at) < _before(now, lifetime)):
        return None
    if timestamp_text(last_seen_at) < _before(now, TOUCH_INTERVAL.total_seconds()):
        unless_busy(Session.update(last_seen_at=utcnow()).where(Session.id == session_id).execute)
    return LiveSession(session_id, *principal)


def close_session(session_id):
    Session.delete().where(Session.id == session_id).execute()


def nonce(token, key, now=None):
    """The nonce of a session for the current half-day."""
    return _nonce(token, key, _tick(now))


def nonce_matches(candidate, token, key, now=None):
    """Whether `candidate` is the session's nonce of this half-day or the previous one."""
    tick = _tick(now)
    return any(hmac.compare_digest(candidate.encode(), _nonce(token, key, t).encode())
               for t in (tick, tick - 1))


def _nonce(token, key, tick):
    message = f'{tick}:{token_digest(token, key)}'.encode()
    return hashlib.blake2b(message, key=key, digest_size=16, person=b'nonce').hexdigest()


def _tick(now):
    return int((time.time() if now is None else now) // NONCE_TICK)


def _before(now, seconds):
    return (now - timedelta(seconds=seconds)).strftime(TIMESTAMP_FORMAT)


def _delete_ended(idle, lifetime):
    now = datetime.now(UTC)
    (Session.delete()
     .where((Session.last_seen_at < _before(now, idle)) |
            (Session.created_at < _before(now, lifetime)))
     .execute())
