"""Authentication failures per (client address, login) in fixed windows, in a table so that every
worker on every host counts towards the same limit. Rows of ended windows are deleted as the
service goes, so the table holds about one window of failures."""
from peewee import SQL, CharField, DateTimeField, IntegerField, Model, MySQLDatabase

from datamachine_jobs.migrating import steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    mysql = isinstance(db, MySQLDatabase)

    class AuthFailure(Model):
        window_start = DateTimeField()
        remote_addr = CharField(max_length=45)
        username = CharField(max_length=100)
        failures = IntegerField()

        class Meta:
            database = db
            table_name = 'datamachine_auth_failures'
            table_settings = MYSQL_TABLE_SETTINGS if mysql else []
            # The window first: one key serves the counting upsert and the deletion of old windows.
            primary_key = False
            constraints = [SQL('PRIMARY KEY (window_start, remote_addr, username)')]
            without_rowid = not mysql

    steps.create_tables(db, [AuthFailure])


def down(migrator, db):
    steps.drop_table(db, 'datamachine_auth_failures')
