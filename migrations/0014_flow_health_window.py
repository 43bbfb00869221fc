"""Carry each job's flow and pipeline in the (base_status, completed_at, job_id) index, so that
the outcomes of a window of completion times, grouped by flow (GET /flows/health), are read from
the index alone, without a row lookup per job (100 ms per day of 10M jobs on MariaDB). The new
index serves everything the old one did (same leading columns, same order) and replaces it, so
writes and clears keep the same number of indexes to update.

Building it reads the whole table once: 18 s for 10M jobs on either database (the bench's
10M datasets, MariaDB with its packaged 128 MiB buffer pool); the old index serves meanwhile
and is dropped once the new one exists.
"""
from datamachine_jobs.migrating import steps

JOBS = 'datamachine_jobs'
OLD = 'datamachine_jobs_base_status_completed_at_job_id'
NEW = 'datamachine_jobs_base_status_completed_at_flow'
NEW_COLUMNS = ('base_status', 'completed_at', 'job_id', 'flow_id', 'pipeline_id')


def up(migrator, db):
    steps.add_index(migrator, db, JOBS, NEW_COLUMNS, name=NEW)
    steps.drop_index(migrator, db, JOBS, OLD)


def down(migrator, db):
    steps.add_index(migrator, db, JOBS, ('base_status', 'completed_at', 'job_id'))
    steps.drop_index(migrator, db, JOBS, NEW)
