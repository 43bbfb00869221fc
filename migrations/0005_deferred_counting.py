"""Let bulk writers (the seed, the clears) maintain the job counts themselves, a grouped update per
batch, instead of one trigger statement per row, which doubled their time.

A writer defers counting for its own transaction only:
- SQLite: a row in datamachine_count_deferrals, inserted and deleted inside the writer's
  transaction. SQLite has one writer at a time, so no other transaction's triggers can see it.
- MySQL: the session variable @datamachine_defer_counts, set and cleared around the batch.
Every other writer, this service's or not, still counts through the triggers.
"""
from peewee import MySQLDatabase

from datamachine_jobs.migrating import job_counts as counts
from datamachine_jobs.migrating import steps

SQLITE_GUARD = 'NOT EXISTS (SELECT 1 FROM datamachine_count_deferrals)'
MYSQL_GUARD = '@datamachine_defer_counts IS NULL'


def guarded_triggers(dialect):
    """The 0004 triggers, skipped while the writing transaction defers counting."""
    insert, delete, update = counts.TRIGGERS
    add, take = counts.ADD[dialect], counts.TAKE[dialect]
    if dialect == 'sqlite':
        return [
            f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs WHEN {SQLITE_GUARD} '
            f'BEGIN {add}; END',
            f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs WHEN {SQLITE_GUARD} '
            f'BEGIN {take}; END',
            f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs '
            f'WHEN ({counts.CHANGED}) AND {SQLITE_GUARD} BEGIN {take}; {add}; END',
        ]
    changed = counts.CHANGED.replace('old.', 'OLD.').replace('new.', 'NEW.')
    return [
        f'CREATE TRIGGER {insert} AFTER INSERT ON datamachine_jobs FOR EACH ROW '
        f'BEGIN IF {MYSQL_GUARD} THEN {add}; END IF; END',
        f'CREATE TRIGGER {delete} AFTER DELETE ON datamachine_jobs FOR EACH ROW '
        f'BEGIN IF {MYSQL_GUARD} THEN {take}; END IF; END',
        f'CREATE TRIGGER {update} AFTER UPDATE ON datamachine_jobs FOR EACH ROW '
        f'BEGIN IF ({changed}) AND {MYSQL_GUARD} THEN '
        f'IF (OLD.pipeline_id, OLD.flow_id, OLD.status) < '
        f'(NEW.pipeline_id, NEW.flow_id, NEW.status) THEN {take}; {add}; '
        f'ELSE {add}; {take}; END IF; END IF; END',
    ]


def up(migrator, db):
    dialect = 'mysql' if isinstance(db, MySQLDatabase) else 'sqlite'
    if dialect == 'sqlite':
        db.execute_sql('CREATE TABLE IF NOT EXISTS datamachine_count_deferrals '
                       '(id INTEGER PRIMARY KEY)')
    counts.replace_triggers(db, guarded_triggers(dialect))


def down(migrator, db):
    dialect = 'mysql' if isinstance(db, MySQLDatabase) else 'sqlite'
    counts.replace_triggers(db, counts.trigger_sql(dialect))
    if dialect == 'sqlite':
        steps.drop_table(db, 'datamachine_count_deferrals')
