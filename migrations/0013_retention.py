"""Retention rules: `jobs.<base status>` (an age after which finished jobs go), `keep_per_flow`
and `processed_items` (services/retention.py), one row each, edited over PUT /retention."""
from peewee import BigIntegerField, CharField, Model, MySQLDatabase

from datamachine_jobs.migrating import steps

MYSQL_TABLE_SETTINGS = ['ENGINE=InnoDB', 'DEFAULT CHARSET=utf8mb4', 'COLLATE=utf8mb4_unicode_ci']


def up(migrator, db):
    class RetentionRule(Model):
        name = CharField(max_length=60, primary_key=True)
        value = BigIntegerField()

        class Meta:
            database = db
            table_name = 'datamachine_retention_rules'
            table_settings = MYSQL_TABLE_SETTINGS if isinstance(db, MySQLDatabase) else []

    steps.create_tables(db, [RetentionRule])


def down(migrator, db):
    steps.drop_table(db, 'datamachine_retention_rules')
