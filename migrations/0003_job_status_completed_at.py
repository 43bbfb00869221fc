"""Index jobs by base status and completion time: "failed runs of last night" and age-limited
clears (finished jobs completed before a cut-off) read one range instead of a whole status."""


def up(migrator, db):
    migrator.migrate(migrator.add_index('datamachine_jobs',
                                        ('base_status', 'completed_at', 'job_id')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index(
        'datamachine_jobs', 'datamachine_jobs_base_status_completed_at_job_id'))
