"""The database handle: unbound at import, bound at startup from a peewee db_url."""
import os
import sys
import time
from typing import NamedTuple
from urllib.parse import urlparse

from flask import g
from peewee import (
    SQL,
    DatabaseError,
    DatabaseProxy,
    InterfaceError,
    MySQLDatabase,
    OperationalError,
    fn,
)
from playhouse.db_url import parseresult_to_dict
from playhouse.migrations import Runner
from playhouse.pool import MaxConnectionsExceeded

from .config import ConfigError
from .peewee_internals import MySQLPool, SqliteFilePool

database = DatabaseProxy()

# WAL lets readers run beside a clear; NORMAL sync stays durable in WAL mode except on power loss.
# Connections are pooled per process, so each keeps its parsed schema and page cache warm.
SQLITE_DEFAULTS = {
    'pragmas': {'journal_mode': 'wal', 'synchronous': 'normal', 'cache_size': -32768,
                'mmap_size': 268435456},
    'timeout': 10,
    # Every transaction takes the write lock at BEGIN: one that read first and wrote later would
    # get SQLITE_BUSY at once when another writer got in between, instead of waiting its turn.
    'lock_type': 'IMMEDIATE',
    'max_connections': 32,
    'stale_timeout': 300,
    'check_same_thread': False,  # a pooled connection serves one thread at a time, any thread
}
MYSQL_DEFAULTS = {
    'charset': 'utf8mb4',
    'connect_timeout': 5,
    'init_command': "SET time_zone = '+00:00'",
    'max_connections': 32,
    'stale_timeout': 300,
    'timeout': 10,
}


def connect_url(url):
    """Return a peewee Database for a db_url; the URL's query options win over the defaults."""
    parsed = urlparse(url)
    # A blank scheme stops peewee renaming `password` to PyMySQL's deprecated `passwd`.
    options = parseresult_to_dict(parsed._replace(scheme=''), unquote_password=True,
                                  unquote_user=True)
    name = options.pop('database')
    if parsed.scheme in ('sqlite', 'sqlite+pool'):
        return SqliteFilePool(name or ':memory:', **{**SQLITE_DEFAULTS, **options})
    if parsed.scheme in ('mysql', 'mysql+pool'):
        if not name:
            raise ConfigError(f'DATAMACHINE_DATABASE_URL {url!r} names no database')
        return MySQLPool(name, **{**MYSQL_DEFAULTS, **options})
    raise ConfigError(f'DATAMACHINE_DATABASE_URL: unsupported scheme {parsed.scheme!r} '
                     '(use sqlite:///path/to.db or mysql://user:pass@host:3306/db)')


def sqlite_path(url):
    """The file an SQLite URL names, or None (MariaDB, or SQLite in memory)."""
    parsed = urlparse(url)
    if parsed.scheme not in ('sqlite', 'sqlite+pool') or parsed.path in ('', '/', '/:memory:'):
        return None
    return parsed.path[1:]


def describe(url):
    """The database a URL names, fit for a message: an SQLite file's path, or the URL with its
    password masked."""
    path = sqlite_path(url)
    if path is not None:
        return f'SQLite file {path}'
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    host = parsed.netloc.rpartition('@')[2]
    return parsed._replace(netloc=f'{parsed.username}:***@{host}').geturl()


def bind(url):
    """Point the shared proxy at the database named by `url`; return that database."""
    target = connect_url(url)
    database.initialize(target)
    return target


def init_app(app, url):
    """Bind the database of `url` for `app`, and give each request's connection back when the
    request ends (to the pool, or dropped when the database failed under it)."""
    app.extensions['datamachine_database'] = bind(url)

    @app.teardown_request
    def close_database(exc):
        release(failed=g.pop('database_failed', False))


def migrations_dir():
    """The migrations folder: beside the package in a checkout, under share/ when installed."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(here, 'migrations'),
                      os.path.join(sys.prefix, 'share', 'datamachine-jobs', 'migrations')):
        if os.path.isdir(candidate):
            return candidate
    raise RuntimeError('the migrations folder is missing from this installation')


def migration_runner():
    """The migration runner for the bound database (history in table schema_migration)."""
    return Runner(database.obj, migrations_dir())


def pending_migrations():
    """Names of the migrations not yet applied."""
    return [m.name for m in migration_runner().status() if not m.applied]


# What a database that cannot be reached (or a pool that is exhausted) raises.
DATABASE_ERRORS = (DatabaseError, InterfaceError, MaxConnectionsExceeded)


class NotReady(NamedTuple):
    """Why the service cannot serve: a kind that anyone may read, and the detail for the log."""

    reason: str
    detail: str


def schema_problem():
    """None when the database answers and its schema is current, else a NotReady."""
    try:
        with database.connection_context():
            pending = pending_migrations()
    except DATABASE_ERRORS as err:
        return NotReady('database unreachable', f'the database cannot be reached: {err}')
    if pending:
        return NotReady('migrations pending', (
            f'the database schema is not current ({len(pending)} migration(s) pending): '
            'run `datamachine-jobs db upgrade`'))
    return None


def is_mysql():
    """True when the bound database is MySQL/MariaDB."""
    return isinstance(database.obj, MySQLDatabase)


def locking(query):
    """Make a SELECT lock the rows it reads until commit, where the database needs telling."""
    return query.for_update() if is_mysql() else query


def unless_busy(write):
    """Run a best-effort write (a "last used" stamp) that a read does on its way, or skip it
    when SQLite's one write lock is taken: a read must not wait behind a clear's batch for it.
    Return write()'s result, or None when skipped."""
    if is_mysql():  # row locks: such a write waits only for a writer of the same row
        return write()
    (waits,) = database.execute_sql('PRAGMA busy_timeout').fetchone()
    database.execute_sql('PRAGMA busy_timeout = 0')
    try:
        return write()
    except OperationalError as exc:
        if 'locked' not in str(exc):
            raise
        return None
    finally:
        database.execute_sql(f'PRAGMA busy_timeout = {int(waits)}')


DEADLOCK = 1213  # MariaDB's error when it rolls a transaction back to break a deadlock
DEADLOCK_RETRIES = 5
WRITERS_TURN = 0.01  # seconds (see give_way)


def deadlocked(exc):
    """True for MariaDB's deadlock error (peewee keeps the driver's error as `orig`)."""
    return getattr(getattr(exc, 'orig', None), 'args', (None,))[:1] == (DEADLOCK,)


def retried(work):
    """Return work(), a write. On MariaDB it runs again when MariaDB rolled it back whole to
    break a deadlock (a writer against a clear's batch or a swap's copy): `work` is one
    statement or opens its own transaction; inside a caller's transaction, which the deadlock
    rolled back too, it runs once and the caller decides. On SQLite it runs in a transaction,
    so that it waits for the write lock as a transaction does (peewee_internals)."""
    if not is_mysql():
        if database.in_transaction():
            return work()
        with database.atomic():
            return work()
    attempts = 1 if database.in_transaction() else DEADLOCK_RETRIES
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if attempt == attempts or not deadlocked(exc):
                raise


def give_way():
    """After a long writer's transaction, on SQLite, leave the one write lock free for
    WRITERS_TURN: a writer waiting for it tries every millisecond and gets its turn."""
    if not is_mysql():
        time.sleep(WRITERS_TURN)


def seconds_between(start, end):
    """SQL for the whole seconds from `start` to `end` (two DATETIME columns)."""
    if is_mysql():
        return fn.TIMESTAMPDIFF(SQL('SECOND'), start, end)
    return fn.strftime('%s', end) - fn.strftime('%s', start)


def release(failed=False):
    """End a request's use of the connection: back to the pool, or closed when it failed."""
    if database.is_closed():
        return
    if failed:
        database.manual_close()
    else:
        database.close()
