"""Job counts kept by the database: one row per (pipeline_id, flow_id, status), maintained by
triggers on datamachine_jobs, so that the exact total of any list filter on those columns is a
sum over a few hundred rows instead of a COUNT over millions, whichever process writes the jobs.
The triggers' SQL lives in datamachine_jobs.migrating.job_counts, which 0005 reuses.
"""
from peewee import SQL, BigIntegerField, CharField, Model, MySQLDatabase

from datamachine_jobs.migrating import job_counts, steps

BASE_STATUS_SQL = {
    'sqlite': "GENERATED ALWAYS AS (CASE WHEN instr(status, ' - ') > 0 "
              "THEN substr(status, 1, instr(status, ' - ') - 1) ELSE status END) STORED",
    'mysql': "GENERATED ALWAYS AS (SUBSTRING_INDEX(status, ' - ', 1)) STORED",
}
MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)
    dialect = 'mysql' if mysql else 'sqlite'
    nocase = None if mysql else 'NOCASE'

    class JobCount(Model):
        pipeline_id = BigIntegerField()
        flow_id = BigIntegerField()
        status = CharField(max_length=100, collation=nocase)
        base_status = CharField(max_length=100, null=True, collation=nocase,
                                constraints=[SQL(BASE_STATUS_SQL[dialect])])
        n = BigIntegerField()

        class Meta:
            database = db
            table_name = 'datamachine_job_counts'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            primary_key = False
            constraints = [SQL('PRIMARY KEY (pipeline_id, flow_id, status)')]
            indexes = ((('flow_id',), False), (('base_status',), False))

    # A run that failed part-way may have left triggers and counts behind: start over from the
    # jobs, with no trigger counting twice meanwhile.
    job_counts.drop_triggers(db)
    steps.create_tables(db, [JobCount])
    db.execute_sql('DELETE FROM datamachine_job_counts')
    db.execute_sql('INSERT INTO datamachine_job_counts (pipeline_id, flow_id, status, n) '
                   'SELECT pipeline_id, flow_id, MIN(status), COUNT(*) FROM datamachine_jobs '
                   'GROUP BY pipeline_id, flow_id, status')
    for statement in job_counts.trigger_sql(dialect):
        db.execute_sql(statement)


def down(migrator, db):
    job_counts.drop_triggers(db)
    steps.drop_table(db, 'datamachine_job_counts')
