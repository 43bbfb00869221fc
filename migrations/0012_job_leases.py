"""Job leases and retries: who claimed a job (`claimed_by`, the application password's name, and
an optional `runner` label), when it last showed it was alive (`heartbeat_at`), which attempt it
is on (`attempts`, 1 at first, one more each time it is requeued after being stuck), and the job
it retries (`retry_of`, with the index that lists a job's retries).

Each column is added without touching the rows (instant on MariaDB, a schema edit on SQLite), so
the migration costs the same at 10M jobs as at 10.
"""
from peewee import MySQLDatabase

from datamachine_jobs.migrating import steps

JOBS = 'datamachine_jobs'
COLUMNS = {
    'claimed_by': 'VARCHAR(100) NULL',
    'runner': 'VARCHAR(100) NULL',
    'heartbeat_at': 'DATETIME NULL',
    'attempts': 'INTEGER NOT NULL DEFAULT 1',
}
ID = {'mysql': 'BIGINT NULL', 'sqlite': 'INTEGER NULL'}  # a job id, as peewee declares one


def up(migrator, db):
    dialect = 'mysql' if isinstance(db, MySQLDatabase) else 'sqlite'
    for name, definition in {**COLUMNS, 'retry_of': ID[dialect]}.items():
        steps.add_column_as(db, JOBS, name, definition)
    steps.add_index(migrator, db, JOBS, ('retry_of',))


def down(migrator, db):
    steps.drop_index(migrator, db, JOBS, 'datamachine_jobs_retry_of')
    for name in ('retry_of', *reversed(COLUMNS)):
        steps.drop_column_as(db, JOBS, name)
