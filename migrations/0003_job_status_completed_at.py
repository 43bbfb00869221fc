"""Index jobs by base status and completion time: "failed runs of last night" and age-limited
clears (finished jobs completed before a cut-off) read one range instead of a whole status."""
from datamachine_jobs.migrating import steps


def up(migrator, db):
    steps.add_index(migrator, db, 'datamachine_jobs', ('base_status', 'completed_at', 'job_id'))


def down(migrator, db):
    steps.drop_index(migrator, db, 'datamachine_jobs',
                     'datamachine_jobs_base_status_completed_at_job_id')
