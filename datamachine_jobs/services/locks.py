"""Operation locks: held for as long as a long operation (a clear) runs, and freed by whoever
outlives its process when that process dies, so that anyone can tell a running operation from an
interrupted one, and exactly one retry can take an interrupted one over.

MySQL/MariaDB: a named lock (GET_LOCK) of the connection that runs the operation; the server
frees it when the connection goes, whichever host it came from. SQLite: an exclusive flock on a
file beside the database; the kernel frees it when the process goes (SQLite is one host's).
"""
import contextlib
import fcntl
import hashlib
import os
import time

from ..db import database, is_mysql

MYSQL_NAME_LIMIT = 64
POLL_INTERVAL = 0.01  # seconds between two tries at a file lock someone holds


class Held:
    """A lock this process holds; `release()` frees it."""

    def __init__(self, name, handle=None):
        self.name, self._handle = name, handle

    def release(self):
        if is_mysql():
            database.execute_sql('SELECT RELEASE_LOCK(%s)', (self.name,))
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.name)
            os.close(self._handle)


def acquire(name, wait=0.0):
    """Take the lock `name`, waiting up to `wait` seconds for its holder to let it go; return None
    when someone alive still holds it."""
    name = _lock_name(name)
    if is_mysql():
        (got,) = database.execute_sql('SELECT GET_LOCK(%s, %s)', (name, wait)).fetchone()
        return Held(name) if got == 1 else None
    os.makedirs(os.path.dirname(name), exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        handle = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_INTERVAL)
            continue
        if _same_file(handle, name):
            return Held(name, handle)
        os.close(handle)  # its holder released and removed it in between: take a fresh one


def acquire_new(name):
    """Take the lock of something just created, which nobody can hold yet."""
    held = acquire(name)
    if held is None:
        raise RuntimeError(f'the lock {name!r} of a new record is taken')
    return held


def is_held(name):
    """True while the operation holding `name` runs."""
    name = _lock_name(name)
    if is_mysql():
        (holder,) = database.execute_sql('SELECT IS_USED_LOCK(%s)', (name,)).fetchone()
        return holder is not None
    try:
        handle = os.open(name, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False


def _same_file(handle, path):
    try:
        return os.fstat(handle).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _lock_name(name):
    """MySQL: the name qualified by the database (locks are server-wide), within its 64 bytes.
    SQLite: a path in a folder beside the database file."""
    if is_mysql():
        full = f'{database.obj.database}.{name}'
        if len(full) > MYSQL_NAME_LIMIT:
            full = hashlib.sha256(full.encode()).hexdigest()
        return full
    return os.path.join(f'{os.path.abspath(database.obj.database)}-locks', name)
