"""The audit log: one row per destructive call (clears and deletions, over HTTP or the command
line), written before the first row is deleted and completed after the last."""
from peewee import SQL, BigAutoField, CharField, DateTimeField, Model, MySQLDatabase, TextField

from datamachine_jobs.migrating import steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)

    class AuditRecord(Model):
        id = BigAutoField(constraints=[] if mysql else [SQL('AUTOINCREMENT')])
        created_at = DateTimeField(constraints=[SQL('DEFAULT CURRENT_TIMESTAMP')])
        action = CharField(max_length=60)
        via = CharField(max_length=10)
        username = CharField(max_length=60, null=True)
        app_password = CharField(max_length=100, null=True)
        remote_addr = CharField(max_length=45, null=True)
        request_id = CharField(max_length=128, null=True)
        parameters = TextField()
        outcome = CharField(max_length=20)
        rows_deleted = TextField(null=True)

        class Meta:
            database = db
            table_name = 'datamachine_audit_log'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            indexes = ((('action', 'id'), False), (('username', 'id'), False))

    steps.create_tables(db, [AuditRecord])


def down(migrator, db):
    steps.drop_table(db, 'datamachine_audit_log')
