"""Job rollups: counts, duration sums and duration histograms per cell (all time, per flow and
for all jobs; per day and hour of started_at and of completed_at, for all jobs), kept by triggers
on datamachine_jobs like the counts, so that GET /jobs/summary reads a number of rows that
depends on the groups and the time span, not on the number of jobs.

Also `duration_seconds`, a virtual column of the jobs with its index: a summary's exact maximum
is looked up in the range of the histogram's highest bucket.
The SQL lives in datamachine_jobs.migrating.rollups.
"""
from peewee import SQL, BigIntegerField, CharField, IntegerField, Model, MySQLDatabase

from datamachine_jobs.migrating import rollups, steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']
DURATION = {
    'sqlite': ("INTEGER GENERATED ALWAYS AS (CAST(strftime('%s', completed_at) AS INTEGER) - "
               "CAST(strftime('%s', started_at) AS INTEGER)) VIRTUAL"),
    'mysql': 'BIGINT AS (TIMESTAMPDIFF(SECOND, started_at, completed_at)) VIRTUAL',
}


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)
    dialect = 'mysql' if mysql else 'sqlite'
    settings = MYSQL_TABLE_SETTINGS if mysql else []

    class DurationBucket(Model):
        id = IntegerField(primary_key=True)
        low = BigIntegerField(unique=True)
        value = BigIntegerField()

        class Meta:
            database = db
            table_name = rollups.BUCKETS_TABLE
            table_settings = settings

    class JobRollup(Model):
        tier = IntegerField()
        pipeline_id = BigIntegerField()
        flow_id = BigIntegerField()
        bucket = CharField(max_length=13)
        base_status = CharField(max_length=100, collation=None if mysql else 'NOCASE')
        duration_bucket = IntegerField()
        n = BigIntegerField()
        seconds = BigIntegerField()

        class Meta:
            database = db
            table_name = rollups.TABLE
            table_settings = settings
            primary_key = False
            constraints = [SQL(f'PRIMARY KEY ({", ".join(rollups.KEY)})')]

    steps.add_column_as(db, 'datamachine_jobs', 'duration_seconds', DURATION[dialect])
    steps.add_index(migrator, db, 'datamachine_jobs', ('duration_seconds',))
    # A run that failed part-way may have left triggers and cells behind: start over from the
    # jobs, with no trigger counting twice meanwhile.
    rollups.drop_triggers(db)
    steps.create_tables(db, [DurationBucket, JobRollup])
    with db.atomic():
        db.execute_sql(f'DELETE FROM {rollups.BUCKETS_TABLE}')
        DurationBucket.insert_many(rollups.duration_buckets(),
                                   fields=['id', 'low', 'value']).execute()
        db.execute_sql(f'DELETE FROM {rollups.TABLE}')
        db.execute_sql(rollups.rebuild_sql(dialect))
    for statement in rollups.trigger_sql(dialect):
        db.execute_sql(statement)


def down(migrator, db):
    rollups.drop_triggers(db)
    steps.drop_table(db, rollups.TABLE)
    steps.drop_table(db, rollups.BUCKETS_TABLE)
    steps.drop_index(migrator, db, 'datamachine_jobs', 'datamachine_jobs_duration_seconds')
    steps.drop_column_as(db, 'datamachine_jobs', 'duration_seconds')
