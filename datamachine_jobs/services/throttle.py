"""Slowing down repeated authentication failures of one login from one client address.

Failures are counted per (address, login) in fixed windows, in a table that every worker and host
shares. A request costs nothing here until it fails: each worker remembers the pairs that a
failure it recorded brought to the limit, and refuses them from memory before any password
lookup. A pair blocked through other workers is learnt at this worker's own next failure for it,
so each worker lets at most one failure more through per window. Other addresses, and other
logins from the same address, are not affected.
"""
import math
import threading
from datetime import UTC, datetime
from time import time

from ..db import database, is_mysql
from ..models import AuthFailure
from ..vocabulary import TIMESTAMP_FORMAT

# Longer values are cut to the columns' lengths; no login is longer than an email (100).
ADDRESS_LENGTH = 45
LOGIN_LENGTH = 100
# One statement adds a failure and returns the new count: RETURNING on SQLite; on MySQL the
# count comes back as the statement's insert id (LAST_INSERT_ID(expr)), the table having no ids.
COUNT_SQL = {
    'sqlite': ('INSERT INTO datamachine_auth_failures (window_start, remote_addr, username, '
               'failures) VALUES (?, ?, ?, 1) ON CONFLICT (window_start, remote_addr, username) '
               'DO UPDATE SET failures = failures + 1 RETURNING failures'),
    'mysql': ('INSERT INTO datamachine_auth_failures (window_start, remote_addr, username, '
              'failures) VALUES (%s, %s, %s, LAST_INSERT_ID(1)) '
              'ON DUPLICATE KEY UPDATE failures = LAST_INSERT_ID(failures + 1)'),
}


class FailureThrottle:
    """One worker's throttle: the limit and window of the shared counts, and the pairs this
    worker knows to be blocked, each with the time its window ends."""

    def __init__(self, limit, window):
        self.limit, self.window = limit, window
        self._blocked = {}
        self._lock = threading.Lock()
        self._pruned_before = 0  # start of the window whose predecessors this worker deleted

    def retry_after(self, remote_addr, login):
        """Seconds until the pair may try again, or None when this worker does not block it."""
        until = self._blocked.get(_pair(remote_addr, login))
        if until is None:
            return None
        wait = math.ceil(until - time())
        return wait if wait > 0 else None

    def record_failure(self, remote_addr, login):
        """Count a failure in the shared table, and block the pair in this worker until the window
        ends once the count reaches the limit. Once a window, delete the ended windows' rows.

        An empty login is not counted: it costs no lookup, and a request without credentials
        must stay a 401.
        """
        if not self.limit or not login:
            return
        now = time()
        start = int(now) // self.window * self.window
        pair = _pair(remote_addr, login)
        if _count(_timestamp(start), *pair) >= self.limit:
            with self._lock:
                self._blocked = {p: until for p, until in self._blocked.items() if until > now}
                self._blocked[pair] = start + self.window
        if start > self._pruned_before:
            self._pruned_before = start
            AuthFailure.delete().where(AuthFailure.window_start < _timestamp(start)).execute()


def _pair(remote_addr, login):
    return (remote_addr or '')[:ADDRESS_LENGTH], login.lower()[:LOGIN_LENGTH]


def _timestamp(seconds):
    return datetime.fromtimestamp(seconds, UTC).strftime(TIMESTAMP_FORMAT)


def _count(window_start, remote_addr, login):
    """Add one failure to the pair's row of the window; return the row's count."""
    params = (window_start, remote_addr, login)
    if is_mysql():
        return database.execute_sql(COUNT_SQL['mysql'], params).lastrowid
    return database.execute_sql(COUNT_SQL['sqlite'], params).fetchall()[0][0]
