"""Every use of peewee's private API, in one place: the pool hooks that peewee 4.5 calls on its
subclasses (`_connect`, `_add_conn_hooks`, `_is_closed`, `_can_reuse`, `_close_raw`) and the
statement of one index. setup.cfg pins peewee to 4.5.x; a new minor version is checked here first
(tests/test_servers.py and tests/test_migrations.py exercise each of these)."""
import os
import time

from peewee import MySQLDatabase, OperationalError
from playhouse.pool import PooledSqliteDatabase, _PooledMySQLDatabase

try:  # mysqlclient, a C driver: reads rows several times faster than the pure-Python PyMySQL
    import MySQLdb
except ImportError:
    MySQLdb = None

# The pool pings a connection before handing it out, so a restarted server is survived.
RECENTLY_USED = 1.0  # seconds: a pooled MySQL connection younger than this is not pinged
LOCK_POLL = 0.001  # seconds between two tries for SQLite's write lock


class SqliteFilePool(PooledSqliteDatabase):
    """Pooled SQLite connections that are dropped once their file is moved, deleted or replaced
    (a restore from backup), so the service reopens the real file, or answers 503 while there
    is none, instead of going on with a ghost. One stat() per check-out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._files = {}

    def _file(self):
        try:
            found = os.stat(self.database)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def _add_conn_hooks(self, conn):
        super()._add_conn_hooks(conn)
        self._files[id(conn)] = self._file()

    def _is_closed(self, conn):
        if super()._is_closed(conn):
            return True
        if self._files.get(id(conn)) == self._file():
            return False
        self._files.pop(id(conn), None)
        self._close_raw(conn)
        return True

    def begin(self, lock_type=None):
        """Take the write lock by trying every millisecond until the timeout. SQLite's own busy
        handler sleeps up to 100 ms between tries, so a writer waiting on it almost never sees
        the moment a long writer (a clear's batches) commits and begins again."""
        cursor = self.cursor()
        cursor.execute('PRAGMA busy_timeout = 0')
        try:
            give_up = time.monotonic() + self._timeout
            while True:
                try:
                    return super().begin(lock_type)
                except OperationalError as exc:
                    if 'locked' not in str(exc) or time.monotonic() > give_up:
                        raise
                time.sleep(LOCK_POLL)
        finally:
            cursor.execute(f'PRAGMA busy_timeout = {round(self._timeout * 1000)}')


class _PreferMySQLClient(MySQLDatabase):
    """Connect with mysqlclient when it is installed (peewee would pick PyMySQL first)."""

    def _connect(self):
        if MySQLdb is None:
            return super()._connect()
        return MySQLdb.connect(database=self.database, autocommit=True, **self.connect_params)


class MySQLPool(_PooledMySQLDatabase, _PreferMySQLClient):
    """Pooled MySQL connections on the fastest driver installed, without the two round trips per
    request of the stock pool: no ROLLBACK at check-in (connections run in autocommit mode and
    peewee refuses to close one inside a transaction), and no ping for a connection back from use
    less than a second ago (one that failed is dropped instead of returned, see `discard`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned = {}

    def _can_reuse(self, conn):
        self._returned[id(conn)] = time.monotonic()
        return True

    def _is_closed(self, conn):
        if time.monotonic() - self._returned.get(id(conn), float('-inf')) < RECENTLY_USED:
            return False
        return super()._is_closed(conn)


def create_index_statement(model, index):
    """The CREATE INDEX of one of `model._meta.fields_to_index()`, without IF NOT EXISTS
    (which MySQL lacks), and the index's name."""
    return model._schema._create_index(index, safe=False), index._name
