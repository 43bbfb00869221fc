"""Job counts kept by the database: one row per (pipeline_id, flow_id, status), maintained by
triggers on datamachine_jobs, so that the exact total of any list filter on those columns is a
sum over a few hundred rows instead of a COUNT over millions, whichever process writes the jobs.
"""
from peewee import SQL, BigIntegerField, CharField, Model, MySQLDatabase

BASE_STATUS_SQL = {
    'sqlite': "GENERATED ALWAYS AS (CASE WHEN instr(status, ' - ') > 0 "
              "THEN substr(status, 1, instr(status, ' - ') - 1) ELSE status END) STORED",
    'mysql': "GENERATED ALWAYS AS (SUBSTRING_INDEX(status, ' - ', 1)) STORED",
}
MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']
KEY = ('pipeline_id', 'flow_id', 'status')

# One statement each way, written per dialect: add a job to its row, take it from its row.
ADD = {
    'sqlite': ('INSERT INTO datamachine_job_counts (pipeline_id, flow_id, status, n) '
               'VALUES (new.pipeline_id, new.flow_id, new.status, 1) '
               'ON CONFLICT (pipeline_id, flow_id, status) DO UPDATE SET n = n + 1'),
    'mysql': ('INSERT INTO datamachine_job_counts (pipeline_id, flow_id, status, n) '
              'VALUES (NEW.pipeline_id, NEW.flow_id, NEW.status, 1) '
              'ON DUPLICATE KEY UPDATE n = n + 1'),
}
TAKE = {
    'sqlite': ('UPDATE datamachine_job_counts SET n = n - 1 WHERE pipeline_id = old.pipeline_id '
               'AND flow_id = old.flow_id AND status = old.status'),
    'mysql': ('UPDATE datamachine_job_counts SET n = n - 1 WHERE pipeline_id = OLD.pipeline_id '
              'AND flow_id = OLD.flow_id AND status = OLD.status'),
}
CHANGED = ('old.pipeline_id <> new.pipeline_id OR old.flow_id <> new.flow_id '
           'OR old.status <> new.status')
TRIGGERS = ('datamachine_jobs_count_insert', 'datamachine_jobs_count_delete',
            'datamachine_jobs_count_update')


def trigger_sql(dialect):
    """CREATE TRIGGER statements keeping datamachine_job_counts in step with datamachine_jobs."""
    insert, delete, update = TRIGGERS
    if dialect == 'sqlite':
        return [
            f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs BEGIN {ADD[dialect]}; END',
            f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs BEGIN {TAKE[dialect]}; END',
            f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs WHEN {CHANGED} '
            f'BEGIN {TAKE[dialect]}; {ADD[dialect]}; END',
        ]
    return [
        f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs FOR EACH ROW {ADD[dialect]}',
        f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs FOR EACH ROW {TAKE[dialect]}',
        # Two rows change in one statement: lock them in key order, so that two jobs moving
        # between the same two keys in opposite directions cannot deadlock.
        f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs FOR EACH ROW '
        f'BEGIN IF {CHANGED.replace("old.", "OLD.").replace("new.", "NEW.")} THEN '
        f'IF (OLD.pipeline_id, OLD.flow_id, OLD.status) < '
        f'(NEW.pipeline_id, NEW.flow_id, NEW.status) THEN {TAKE[dialect]}; {ADD[dialect]}; '
        f'ELSE {ADD[dialect]}; {TAKE[dialect]}; END IF; END IF; END',
    ]


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

    db.create_tables([JobCount])
    db.execute_sql('INSERT INTO datamachine_job_counts (pipeline_id, flow_id, status, n) '
                   'SELECT pipeline_id, flow_id, MIN(status), COUNT(*) FROM datamachine_jobs '
                   'GROUP BY pipeline_id, flow_id, status')
    for statement in trigger_sql(dialect):
        db.execute_sql(statement)


def down(migrator, db):
    for name in TRIGGERS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS {name}')
    db.execute_sql('DROP TABLE datamachine_job_counts')
