"""Operations: clears that outlive their request (`Prefer: respond-async`), each with what was
asked, the bound it fixed, its progress and its lease (the process running it and its last
heartbeat), so that another worker can finish one whose worker died."""
from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    CharField,
    DateTimeField,
    Model,
    MySQLDatabase,
    TextField,
)

from datamachine_jobs.migrating import steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)

    class AsyncOperation(Model):
        # AUTOINCREMENT on SQLite: an operation's id (its URL) is never given to another one.
        id = BigAutoField(constraints=[] if mysql else [SQL('AUTOINCREMENT')])
        created_at = DateTimeField()
        action = CharField(max_length=60)
        state = CharField(max_length=20)
        parameters = TextField()
        arguments = TextField()
        actor = TextField()
        bound = BigIntegerField()
        rows_matched = TextField(null=True)
        rows_done = TextField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        cancel_requested_at = DateTimeField(null=True)
        error = TextField(null=True)
        audit_id = BigIntegerField(null=True)
        owner = CharField(max_length=100)
        heartbeat_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'datamachine_operations'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            indexes = ((('state', 'heartbeat_at'), False),)

    steps.create_tables(db, [AsyncOperation])


def down(migrator, db):
    steps.drop_table(db, 'datamachine_operations')
