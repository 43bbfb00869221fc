"""Clearing every job at once on SQLite: swap the tables instead of deleting row by row.

In one transaction the jobs table (with its counts and rollups, and the processed items when they
go too) is renamed aside and an empty twin takes its name, its triggers and its id sequence; the
jobs beyond the clear's bound and the processed items that stay are copied across. So the clear
costs what the survivors cost, not what it deletes, and a crash at any moment leaves either the
old tables or the new ones. A background thread then frees the renamed tables in short
transactions (their indexes one at a time, then their rows in batches), pausing after any long
one, so that freeing their pages never keeps writers waiting long; the new tables' indexes carry
a suffix until the old ones, which hold the plain names, are gone. The names and the freeing
thread serve MariaDB's swap too (services.swap_mysql).
"""
import logging
import re
import threading
import time

from ..db import database, give_way, is_mysql
from .batches import SMALLEST_BATCH, next_size

log = logging.getLogger(__name__)
JOBS = 'datamachine_jobs'
ITEMS = 'datamachine_processed_items'
KEPT_BY_TRIGGERS = ('datamachine_job_counts', 'datamachine_job_rollups')
ASIDE = '_cleared_'  # renamed tables and the new tables' indexes are named <name>_cleared_<n>
FREE_BATCH = 30000  # the most rows deleted per transaction when freeing
FREEING = 'free-cleared-tables'  # the name of the thread that frees them
INDEX_NAME = re.compile(r'^(CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?)"?(\w+)"?', re.I)


def swap_all(bound, cleanup_processed):
    """Delete every job up to `bound` (and, with `cleanup_processed`, their processed items) by
    swapping the tables, inside the caller's transaction. Return (jobs, processed items) deleted.
    """
    suffix = f'{ASIDE}{time.time_ns()}'
    tables = (JOBS, *KEPT_BY_TRIGGERS, *((ITEMS,) if cleanup_processed else ()))
    schema = {table: _schema_of(table) for table in tables}
    triggers = _sql('trigger', JOBS)
    sequences = dict(database.execute_sql(
        'SELECT name, seq FROM sqlite_sequence WHERE name IN (?, ?)', (JOBS, ITEMS)).fetchall())
    for table in tables:
        database.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}{suffix}"')
    for name in _names('trigger', f'{JOBS}{suffix}'):  # they went with the table renamed
        database.execute_sql(f'DROP TRIGGER "{name}"')
    for table in tables:
        for statement in schema[table]:
            database.execute_sql(_suffixed(statement, suffix))
    for statement in triggers:
        database.execute_sql(statement)
    database.cursor().executemany(
        'INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)',
        [(name, sequences[name]) for name in tables if name in sequences])
    columns = ', '.join(f'"{name}"' for name in _stored_columns(f'{JOBS}{suffix}'))
    kept = database.execute_sql(
        f'INSERT INTO {JOBS} ({columns}) SELECT {columns} FROM {JOBS}{suffix} '
        'WHERE job_id > ? ORDER BY job_id', (bound,)).rowcount
    jobs = _rows(f'{JOBS}{suffix}') - kept
    items = 0
    if cleanup_processed:
        # The items of jobs beyond the bound stay, and so do those whose job was cleared before
        # without them: they are what stops their items being processed again.
        # Their ids from the job_id index alone, then their rows: a quarter faster than
        # reading every item's row.
        kept = database.execute_sql(
            f'INSERT INTO {ITEMS} SELECT * FROM {ITEMS}{suffix} WHERE id IN ('
            f'SELECT id FROM {ITEMS}{suffix} WHERE job_id > ? UNION ALL '
            f'SELECT id FROM {ITEMS}{suffix} i WHERE job_id <= ? AND NOT EXISTS '
            f'(SELECT 1 FROM {JOBS}{suffix} j WHERE j.job_id = i.job_id)) ORDER BY id',
            (bound, bound)).rowcount
        items = _rows(f'{ITEMS}{suffix}') - kept
    return jobs, items


def free_in_background(free):
    """Run `free` (free_cleared, or MariaDB's drop) in a thread of this process, on its own
    connection, and return the thread."""
    thread = threading.Thread(target=_free_logged, args=(free,), name=FREEING, daemon=True)
    thread.start()
    return thread


def free_cleared():
    """Drop every table set aside by a swap, in short transactions, each followed by the writers'
    turn (the lock is the whole database's, see db.give_way): its rows in rowid order, in
    batches sized like a clear's (services.batches), then its empty indexes and the empty table.
    Dropping a full index or table is one statement as long as its size (seconds for 10M jobs).
    Then give the live tables' indexes back their plain names. Safe to run again and in several
    processes at once."""
    for table in _names('table', None):
        if ASIDE not in table:
            continue
        size = SMALLEST_BATCH * 10
        while True:
            deleted, held = _briefly(f'DELETE FROM "{table}" WHERE rowid IN (SELECT rowid '
                                     f'FROM "{table}" ORDER BY rowid LIMIT {size})', table)
            if not deleted:
                break
            size = next_size(size, held, FREE_BATCH)
        for index in _names('index', table):
            if not index.startswith('sqlite_autoindex_'):  # those go with their table
                _briefly(f'DROP INDEX IF EXISTS "{index}"')
        _briefly(f'DROP TABLE IF EXISTS "{table}"')
    _restore_index_names()


def _briefly(statement, table=None):
    """Run one statement in its own transaction, then give the writers their turn; return the
    rows it changed (none when `table` is gone, freed meanwhile by another process) and the
    seconds it held the lock."""
    with database.atomic():
        began = time.monotonic()
        if table is not None and table not in _names('table', table):
            return 0, 0
        changed = database.execute_sql(statement).rowcount
    held = time.monotonic() - began
    give_way()
    return changed, held


def index_name(table, plain):
    """The name an index of a live table has now: `plain`, or `plain` with the suffix of the
    swap that made the table while the table set aside still holds the plain name."""
    return next(name for name in _names('index', table) if name.split(ASIDE)[0] == plain)


def index_hint(plain):
    """The hint making a statement read the jobs table through this index, by its name now."""
    if is_mysql():
        return f' FORCE INDEX ({plain})'
    return f' INDEXED BY "{index_name(JOBS, plain)}"'


def _restore_index_names():
    """Rename each suffixed index of a live table to its plain name, once that name is free: a
    new index under the plain name, the suffixed one dropped, in one transaction."""
    with database.atomic():
        present = set(_names('index', None))
        for name, sql in database.execute_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND name LIKE '%{ASIDE}%' AND tbl_name NOT LIKE '%{ASIDE}%'").fetchall():
            plain = name.split(ASIDE)[0]
            if plain not in present:
                database.execute_sql(sql.replace(f'"{name}"', f'"{plain}"', 1))
                database.execute_sql(f'DROP INDEX "{name}"')
                present.add(plain)


def _free_logged(free):
    try:
        with database.connection_context():
            free()
    except Exception:  # a thread has nobody to raise to; the next swap frees what is left
        log.exception('could not free the tables set aside by a clear')


def _schema_of(table):
    """The statements that made `table` and its indexes."""
    return _sql('table', table, name=table) + _sql('index', table)


def _suffixed(statement, suffix):
    """A CREATE INDEX statement with `suffix` on its index name (the plain name stays with the
    index of the table set aside); any other statement as it is."""
    return INDEX_NAME.sub(lambda m: f'{m[1]}"{m[2].split(ASIDE)[0]}{suffix}"', statement, 1)


def _sql(kind, table, name=None):
    query = "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL"
    params = [kind, table]
    if name is not None:
        query += ' AND name = ?'
        params.append(name)
    return [sql for (sql,) in database.execute_sql(query + ' ORDER BY rowid', params).fetchall()]


def _names(kind, table):
    query, params = 'SELECT name FROM sqlite_master WHERE type = ?', [kind]
    if table is not None:
        query += ' AND tbl_name = ?'
        params.append(table)
    return [name for (name,) in database.execute_sql(query, params).fetchall()]


def _stored_columns(table):
    """The columns an INSERT may set: generated ones (hidden 2 and 3) are left out."""
    return [row[1] for row in database.execute_sql(f'PRAGMA table_xinfo("{table}")').fetchall()
            if row[6] == 0]


def _rows(table):
    return database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
