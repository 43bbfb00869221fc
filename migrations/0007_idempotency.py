"""Idempotency keys (one row per key a user sent, with the answer it got), and for each audit
record the upper bound a clear fixed when it began and the process running it, so that a retried
request does its work once."""
from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    CharField,
    DateTimeField,
    IntegerField,
    Model,
    MySQLDatabase,
    TextField,
)

from datamachine_jobs.migrating import steps


class MediumTextField(TextField):
    field_type = 'MEDIUMTEXT'  # an answer of a batch of 1000 records outgrows TEXT's 64 KiB


MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)

    class IdempotencyKey(Model):
        id = BigAutoField(constraints=[] if mysql else [SQL('AUTOINCREMENT')])
        user_id = BigIntegerField()
        idempotency_key = CharField(max_length=255)
        fingerprint = CharField(max_length=64)
        audit_id = BigIntegerField(null=True)
        status_code = IntegerField(null=True)
        response = MediumTextField(null=True)
        expires_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'datamachine_idempotency_keys'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            indexes = ((('user_id', 'idempotency_key'), True), (('expires_at',), False))

    steps.create_tables(db, [IdempotencyKey])
    steps.add_column(migrator, db, 'datamachine_audit_log', 'bound', BigIntegerField(null=True))
    steps.add_column(migrator, db, 'datamachine_audit_log', 'process',
                     CharField(max_length=100, null=True))


def down(migrator, db):
    steps.drop_column(migrator, db, 'datamachine_audit_log', 'process')
    steps.drop_column(migrator, db, 'datamachine_audit_log', 'bound')
    steps.drop_table(db, 'datamachine_idempotency_keys')
