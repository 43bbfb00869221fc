"""Counting jobs in bulk. The triggers on datamachine_jobs keep the counts per (pipeline_id,
flow_id, status) and the rollups one row at a time; a batch writer defers them for its own
transaction and applies the batch's counts and cells in grouped statements instead (migrations
0005 and 0011)."""
from contextlib import contextmanager

from ..db import database, is_mysql
from ..migrating import rollups

UPSERT = {
    'sqlite': ('INSERT INTO {table} (pipeline_id, flow_id, status, n) '
               'VALUES (?, ?, ?, ?) ON CONFLICT (pipeline_id, flow_id, status) '
               'DO UPDATE SET n = n + excluded.n'),
    'mysql': ('INSERT INTO {table} (pipeline_id, flow_id, status, n) '
              'VALUES (%s, %s, %s, %s) ON DUPLICATE KEY UPDATE n = n + VALUES(n)'),
}
COUNTS = 'datamachine_job_counts'


@contextmanager
def deferred_counting():
    """Within a transaction, keep the count triggers off this transaction's own writes."""
    if is_mysql():
        database.execute_sql('SET @datamachine_defer_counts = 1')
        try:
            yield
        finally:
            database.execute_sql('SET @datamachine_defer_counts = NULL')
    else:  # visible to no other writer: SQLite has one at a time, and it rolls back with us
        database.execute_sql('INSERT INTO datamachine_count_deferrals (id) VALUES (1)')
        yield
        database.execute_sql('DELETE FROM datamachine_count_deferrals')


def add_counts(where, params, sign, suffix=''):
    """Add (sign=1, after inserting) or take away (sign=-1, before deleting) the counts and the
    rollup cells of the jobs matching `where`, grouped, in key order so that concurrent batches
    cannot deadlock: the counts first, then the cells, as the triggers fire. With `suffix`, of
    the jobs table of that name into the counts and rollups of that name (a swap's new tables).
    """
    dialect = 'mysql' if is_mysql() else 'sqlite'
    groups = database.execute_sql(
        f'SELECT pipeline_id, flow_id, MIN(status), COUNT(*) FROM datamachine_jobs{suffix} '
        f'WHERE {where} GROUP BY pipeline_id, flow_id, status', params).fetchall()
    deltas = sorted((pipeline_id, flow_id, status, sign * n)
                    for pipeline_id, flow_id, status, n in groups)
    if deltas:
        database.cursor().executemany(UPSERT[dialect].format(table=COUNTS + suffix), deltas)
    cells = rollups.cells_of(database.execute_sql(
        f'SELECT {rollups.JOB_COLUMNS} FROM datamachine_jobs{suffix} WHERE {where}', params),
        sign)
    if cells:
        database.cursor().executemany(rollups.upsert_values(dialect, rollups.TABLE + suffix),
                                      cells)
