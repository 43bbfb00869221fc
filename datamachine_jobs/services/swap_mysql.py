"""Clearing every job at once on MariaDB: a swap whose one decisive step is a RENAME TABLE.

MariaDB renames tables neither inside a transaction nor under LOCK TABLES, so the new tables
are made ready beside the live ones and kept exact until one multi-table RENAME TABLE (atomic
and crash-safe since MariaDB 10.6) puts them in place. Meanwhile triggers on the live tables
(mirrors) repeat in the new ones every write to a job beyond the bound, with its counts and
rollup cells, and to a processed item that stays; the rows already there are copied once, under
a lock on their range. The new jobs table carries copies of the live triggers under names of
its own generation, so the jobs are never without them. Until the rename the live tables are
untouched and a failure drops what was made; after it the old tables wait to be dropped.
"""
import time
from contextlib import contextmanager

from ..db import database, retried
from ..migrating.rollups import GUARDS
from ..migrating.rollups import TABLE as ROLLUPS
from ..migrating.steps import TRIGGER_GENERATION as GENERATION
from .counting import COUNTS, add_counts
from .swap import ASIDE, ITEMS, JOBS

NEXT = '_next'  # the new tables until the rename
MIRROR = '_mirror'  # the triggers repeating the live tables' writes in them
GUARD = GUARDS['mysql']
LOCK = 'datamachine_jobs_swap'  # one swap at a time, whatever the process
LOCK_WAIT = 600


def swap_all(bound, cleanup_processed):
    """Delete every job up to `bound` (and, with `cleanup_processed`, their processed items) by
    swapping the tables. Return (jobs, processed items) deleted."""
    swap_id = time.time_ns()
    tables = (JOBS, COUNTS, ROLLUPS, *((ITEMS,) if cleanup_processed else ()))
    aside = f'{ASIDE}{swap_id}'
    with _one_at_a_time() as mine:
        if not mine:
            raise TimeoutError(f'another clear of every job held {LOCK} for {LOCK_WAIT} s')
        _drop_staging()
        try:
            for table in tables:
                _execute(f'CREATE TABLE {table}{NEXT} LIKE {table}')
            for name, timing, event, body in _triggers(JOBS):
                _execute(f'CREATE TRIGGER {GENERATION.sub("", name)}_g{swap_id} {timing} '
                         f'{event} ON {JOBS}{NEXT} FOR EACH ROW {body}')
            for table in (JOBS, ITEMS) if cleanup_processed else (JOBS,):
                _same_next_id(table)
            _mirror_jobs(bound, cleanup_processed)
            if cleanup_processed:
                _mirror_items(bound)
            _copy_what_stays(bound, cleanup_processed)
            _execute('RENAME TABLE ' + ', '.join(
                f'{table} TO {table}{aside}, {table}{NEXT} TO {table}' for table in tables))
        except BaseException:
            _drop_staging()
            raise
        _drop_staging()  # the mirrors, gone aside with the old tables
        return _deleted(bound, aside, cleanup_processed)  # before anyone may drop those


def drop_cleared():
    """Drop the tables set aside by swaps (their triggers go with them), and what a swap that a
    crash stopped before its rename left: its new tables and the mirrors on the live ones. This
    waits for the swaps' lock, so that no swap is under way, nor counting from its old tables."""
    with _one_at_a_time() as mine:
        if not mine:
            return
        _drop_staging()
        for (table,) in _execute('SELECT table_name FROM information_schema.tables '
                                 'WHERE table_schema = DATABASE()').fetchall():
            if ASIDE in table:
                _execute(f'DROP TABLE IF EXISTS {table}')


@contextmanager
def _one_at_a_time():
    """Hold the swaps' lock, whatever the process: yield True, or False if another process kept
    it LOCK_WAIT seconds."""
    if not _execute('SELECT GET_LOCK(%s, %s)', (LOCK, LOCK_WAIT)).fetchone()[0]:
        yield False
        return
    try:
        yield True
    finally:
        _execute('SELECT RELEASE_LOCK(%s)', (LOCK,))


def _drop_staging():
    """Drop what a swap made before its rename: the mirrors first, so that no write to the live
    tables can find their target gone, then the new tables. Mirrors that went aside with the
    old tables of a swap that ended before freeing them are dropped too: their names are the
    schema's."""
    for (name,) in _execute(
            'SELECT trigger_name FROM information_schema.triggers '
            'WHERE trigger_schema = DATABASE()').fetchall():
        if name.endswith(MIRROR):
            _execute(f'DROP TRIGGER IF EXISTS {name}')
    for table in (JOBS, COUNTS, ROLLUPS, ITEMS):
        _execute(f'DROP TABLE IF EXISTS {table}{NEXT}')


def _triggers(table):
    """(name, timing, event, body) of the table's triggers but the mirrors, in the order they
    fire."""
    rows = _execute(
        'SELECT trigger_name, action_timing, event_manipulation, action_statement '
        'FROM information_schema.triggers WHERE trigger_schema = DATABASE() '
        'AND event_object_table = %s ORDER BY action_timing, event_manipulation, action_order',
        (table,)).fetchall()
    return [row for row in rows if not row[0].endswith(MIRROR)]


def _same_next_id(table):
    """The new table goes on from the live one's next id, so that no id is given twice."""
    (next_id,) = _execute('SELECT auto_increment FROM information_schema.tables '
                          'WHERE table_schema = DATABASE() AND table_name = %s',
                          (table,)).fetchone()
    if next_id:
        _execute(f'ALTER TABLE {table}{NEXT} AUTO_INCREMENT = {int(next_id)}')


def _mirror_jobs(bound, cleanup_processed):
    """Triggers on the live jobs table repeating each write to a job beyond `bound` in the new
    table (whose own triggers the variable keeps quiet), and its counts and cells in the new
    counts and rollups: the live counting triggers, retargeted. With `cleanup_processed`, the
    items of a job up to `bound` that another clear deletes without them meanwhile go to the
    new items table: they stay, as the items of a job cleared before the swap do."""
    columns = _stored_columns(JOBS)
    values = ', '.join(f'NEW.{c}' for c in columns)
    quiet = ('SET @datamachine_swap_defer = @datamachine_defer_counts; '
             'SET @datamachine_defer_counts = 1; {} '
             'SET @datamachine_defer_counts = @datamachine_swap_defer;')
    rows = {
        'INSERT': ('NEW', f'INSERT INTO {JOBS}{NEXT} ({", ".join(columns)}) VALUES ({values});'),
        'UPDATE': ('NEW', f'UPDATE {JOBS}{NEXT} SET '
                          f'{", ".join(f"{c} = NEW.{c}" for c in columns)} '
                          'WHERE job_id = OLD.job_id;'),
        'DELETE': ('OLD', f'DELETE FROM {JOBS}{NEXT} WHERE job_id = OLD.job_id;'),
    }
    for event, (row, statement) in rows.items():
        orphaned = ''
        if event == 'DELETE' and cleanup_processed:
            items = ', '.join(_stored_columns(ITEMS))
            orphaned = (f'ELSE INSERT IGNORE INTO {ITEMS}{NEXT} ({items}) SELECT {items} '
                        f'FROM {ITEMS} WHERE job_id = OLD.job_id;')
        _execute(f'CREATE TRIGGER {JOBS}_{event.lower()}{MIRROR} AFTER {event} ON {JOBS} '
                 f'FOR EACH ROW BEGIN IF {row}.job_id > {int(bound)} THEN '
                 f'{quiet.format(statement)} {orphaned} END IF; END')
    for name, timing, event, body in _triggers(JOBS):
        if GUARD not in body:  # not one of the triggers that count
            continue
        row = 'OLD' if event == 'DELETE' else 'NEW'
        retargeted = (body.replace(COUNTS, COUNTS + NEXT).replace(ROLLUPS, ROLLUPS + NEXT)
                      .replace(GUARD, f'{row}.job_id > {int(bound)}'))
        _execute(f'CREATE TRIGGER {GENERATION.sub("", name)}{MIRROR} {timing} {event} '
                 f'ON {JOBS} FOR EACH ROW {retargeted}')


def _mirror_items(bound):
    """Triggers on the live processed items repeating in the new table the writes to those
    that stay: the items of jobs beyond `bound`, and those whose job is gone already."""
    columns = ', '.join(_stored_columns(ITEMS))
    values = ', '.join(f'NEW.{c}' for c in _stored_columns(ITEMS))
    stays = (f'NEW.job_id > {int(bound)} OR NOT EXISTS '
             f'(SELECT 1 FROM {JOBS} WHERE job_id = NEW.job_id)')
    insert = f'INSERT IGNORE INTO {ITEMS}{NEXT} ({columns}) VALUES ({values});'
    delete = f'DELETE FROM {ITEMS}{NEXT} WHERE id = OLD.id;'
    for event, body in (('INSERT', f'IF {stays} THEN {insert} END IF;'),
                        ('UPDATE', f'{delete} IF {stays} THEN {insert} END IF;'),
                        ('DELETE', delete)):
        _execute(f'CREATE TRIGGER {ITEMS}_{event.lower()}{MIRROR} AFTER {event} ON {ITEMS} '
                 f'FOR EACH ROW BEGIN {body} END')


def _copy_what_stays(bound, cleanup_processed):
    """Copy the rows that stay into the new tables, the mirrors already keeping them up to date.

    The items whose job is gone already are found by a scan that locks nothing (their writers
    are not held up), then checked again under the locks; the jobs beyond the bound, with their
    counts, cells and items, are copied with their range locked, so no write to them slips
    between the copy and the mirrors.
    """
    columns = ', '.join(_stored_columns(JOBS))
    if cleanup_processed:
        _execute('SET TRANSACTION ISOLATION LEVEL READ COMMITTED')  # the next one only
        with database.atomic():
            # The orphans' ids from the job_id index alone, each probing the jobs' primary key,
            # then their rows: 1.5 s at 1M where NOT EXISTS (which MariaDB answers by hashing
            # every job id) took 4.9 s, and reading every item's row 3.3 s.
            _execute(f'INSERT IGNORE INTO {ITEMS}{NEXT} SELECT i.* FROM (SELECT o.id FROM '
                     f'{ITEMS} o LEFT JOIN {JOBS} j ON j.job_id = o.job_id '
                     'WHERE o.job_id <= %s AND j.job_id IS NULL) orphan '
                     f'STRAIGHT_JOIN {ITEMS} i ON i.id = orphan.id', (bound,))

    @database.atomic()
    def copy():
        _copy_beyond(bound, columns, cleanup_processed)

    retried(copy)


def _copy_beyond(bound, columns, cleanup_processed):
    """The jobs beyond the bound, their counts and cells and their items, in the caller's
    transaction, with their range locked."""
    _execute(f'SELECT job_id FROM {JOBS} WHERE job_id > %s FOR UPDATE', (bound,))
    _execute('SET @datamachine_defer_counts = 1')  # the new table's own triggers keep quiet
    try:
        for table in (JOBS, COUNTS, ROLLUPS):
            _execute(f'DELETE FROM {table}{NEXT}')
        _execute(f'INSERT INTO {JOBS}{NEXT} ({columns}) SELECT {columns} FROM {JOBS} '
                 'WHERE job_id > %s ORDER BY job_id', (bound,))
        add_counts('job_id > %s', (bound,), 1, suffix=NEXT)
        if cleanup_processed:
            # Items deleted since the scan above (a deleted one is not there any more).
            _execute(f'DELETE n FROM {ITEMS}{NEXT} n WHERE n.job_id <= %s AND NOT EXISTS '
                     f'(SELECT 1 FROM {ITEMS} i WHERE i.id = n.id)', (bound,))
            _execute(f'INSERT IGNORE INTO {ITEMS}{NEXT} SELECT * FROM {ITEMS} '
                     'WHERE job_id > %s', (bound,))
    finally:
        _execute('SET @datamachine_defer_counts = NULL')


def _deleted(bound, aside, cleanup_processed):
    """(jobs, processed items) the swap deleted, read from the tables set aside, which nothing
    writes any more."""
    (total,) = _execute(f'SELECT COALESCE(SUM(n), 0) FROM {COUNTS}{aside}').fetchone()
    (kept,) = _execute(f'SELECT COUNT(*) FROM {JOBS}{aside} WHERE job_id > %s',
                       (bound,)).fetchone()
    items = 0
    if cleanup_processed:
        # From the items, in job order, into the jobs' primary key: a third faster than the
        # optimizer's own order at 1M.
        (items,) = _execute(f'SELECT COUNT(*) FROM {ITEMS}{aside} i STRAIGHT_JOIN '
                            f'{JOBS}{aside} j ON j.job_id = i.job_id WHERE i.job_id <= %s',
                            (bound,)).fetchone()
    return int(total) - kept, items


def _stored_columns(table):
    """The columns an INSERT may set: generated ones are left out."""
    return [name for name, extra in _execute(
        'SELECT column_name, extra FROM information_schema.columns WHERE table_schema = '
        'DATABASE() AND table_name = %s ORDER BY ordinal_position', (table,)).fetchall()
        if 'GENERATED' not in extra.upper()]


def _execute(sql, params=None):
    """Run one statement; without parameters the driver leaves its text as it is (a trigger
    body may hold a `%`)."""
    if params is not None:
        return database.execute_sql(sql, params)
    cursor = database.cursor()
    cursor.execute(sql)
    return cursor
