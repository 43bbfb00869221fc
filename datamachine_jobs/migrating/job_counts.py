"""The triggers of migration 0004 that keep datamachine_job_counts in step with datamachine_jobs,
written per dialect; migration 0005 rebuilds them with a guard and its down() restores these."""
from . import steps

# One statement each way: add a job to its row, take it from its row.
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


def drop_triggers(db):
    steps.drop_triggers(db, TRIGGERS)


def replace_triggers(db, statements):
    """Drop the count triggers, if any, and create them from `statements`."""
    drop_triggers(db)
    for statement in statements:
        db.execute_sql(statement)
