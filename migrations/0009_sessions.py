"""Dashboard sessions: the digest of a cookie's token, the application password that opened the
session (revoking it ends the session) and when the session began and was last used."""
from peewee import BigAutoField, CharField, DateTimeField, ForeignKeyField, Model, MySQLDatabase

from datamachine_jobs.migrating import steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)

    class AppPassword(Model):
        id = BigAutoField()

        class Meta:
            database = db
            table_name = 'datamachine_app_passwords'

    class Session(Model):
        id = BigAutoField()
        token_digest = CharField(max_length=64, unique=True)
        app_password = ForeignKeyField(AppPassword, column_name='app_password_id',
                                       on_delete='CASCADE')
        created_at = DateTimeField()
        last_seen_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'datamachine_sessions'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            indexes = ((('last_seen_at',), False),)

    steps.create_tables(db, [Session])


def down(migrator, db):
    steps.drop_table(db, 'datamachine_sessions')
