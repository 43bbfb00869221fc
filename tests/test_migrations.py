"""The migrations: from an empty database up and down again, the schema they make equals what
models.py declares, data survives an upgrade, and a migration runs again after failing part-way.
Each test works on its own database, made and dropped here."""
import re

import pytest
from peewee import MySQLDatabase
from playhouse.migrations import Migration
from support import close_pool, fresh_database_url, make_app

from datamachine_jobs import db, models
from datamachine_jobs.migrating import job_counts

HISTORY = 'schema_migration'  # the runner's own table, which no model describes
# Tables no model describes: the runner's history and SQLite's AUTOINCREMENT bookkeeping.
NOT_MODELLED = {HISTORY, 'sqlite_sequence'}
MODELS = [m for m in vars(models).values()
          if isinstance(m, type) and issubclass(m, models.BaseModel) and m is not models.BaseModel]


@pytest.fixture
def database(backend, tmp_path):
    """An empty database of the backend, bound and connected, dropped afterwards."""
    url, drop = fresh_database_url(backend, tmp_path)
    app = make_app(url)
    try:
        with app.app_context(), db.database.connection_context():
            yield db.database.obj
    finally:
        close_pool(app)
        drop()


def names(migrations):
    return [m.name for m in migrations]


def column_type(text):
    """A column type as both backends can compare it: lower case, no integer display width
    (MariaDB reports `bigint(20)`), no AUTO_INCREMENT (an attribute, not a type), and INTEGER
    as MySQL spells it."""
    text = text.lower().replace(' auto_increment', '')
    text = re.sub(r'^((?:big|small|tiny|medium)?int)\(\d+\)', r'\1', text)
    return 'int' if text == 'integer' else text


def database_columns(database, table):
    if isinstance(database, MySQLDatabase):
        return {c.name: (column_type(c.full_type), c.null)
                for c in database.get_columns(table)}
    # table_xinfo, unlike the table_info peewee reads, lists generated columns too. An INTEGER
    # PRIMARY KEY is the rowid, never null, however it was declared.
    rows = database.execute_sql(f'PRAGMA table_xinfo("{table}")').fetchall()
    keys = [row for row in rows if row[5]]
    rowid = keys[0][1] if len(keys) == 1 and column_type(keys[0][2]) == 'int' else None
    return {row[1]: (column_type(row[2]), not row[3] and row[1] != rowid) for row in rows}


def actual_schema(database):
    """Tables, columns, keys and indexes of the migrated database."""
    schema = {}
    for table in set(database.get_tables()) - NOT_MODELLED:
        schema[table] = {
            'columns': database_columns(database, table),
            'primary_key': database.get_primary_keys(table),
            'foreign_keys': {(fk.column, fk.dest_table, fk.dest_column)
                             for fk in database.get_foreign_keys(table)},
            'indexes': {index.name: (tuple(index.columns), index.unique)
                        for index in database.get_indexes(table)
                        if index.name != 'PRIMARY'
                        and not index.name.startswith('sqlite_autoindex_')},
        }
    return schema


def declared_schema(database):
    """The same, as models.py declares it, in the dialect of `database`."""
    def ddl_type(field):
        context = database.get_sql_context()
        return column_type(context.sql(field.ddl_datatype(context)).query()[0])

    schema = {}
    for model in MODELS:
        meta = model._meta
        schema[meta.table_name] = {
            'columns': {f.column_name: (ddl_type(f), f.null) for f in meta.sorted_fields},
            'primary_key': [f.column_name for f in meta.get_primary_keys()],
            'foreign_keys': {(f.column_name, f.rel_model._meta.table_name, f.rel_field.column_name)
                             for f in meta.refs},
            'indexes': {index._name: (tuple(e.column_name for e in index._expressions),
                                      index._unique)
                        for index in meta.fields_to_index()},
        }
    if isinstance(database, MySQLDatabase):
        # The unique key of a processed item is a hash of its three identifying columns, one of
        # them TEXT, which InnoDB cannot index whole; SQLite indexes the columns themselves.
        items = schema['datamachine_processed_items']
        items['columns']['item_key'] = ('binary(16)', True)
        del items['indexes']['processeditem_flow_step_id_source_type_item_identifier']
        items['indexes']['processeditem_item_key'] = (('item_key',), True)
        del schema[models.CountDeferral._meta.table_name]  # MySQL defers with a session variable
    return schema


def assert_models_match(database):
    """Every table the migrations make is a model, with the same columns (type and nullability),
    primary and foreign keys, and indexes (name, columns in order, uniqueness).

    Not compared, because a peewee model cannot declare them or the app never reads them from
    the model: column defaults (the database's CURRENT_TIMESTAMP against the model's utcnow),
    generated columns' expressions (`base_status`, MySQL's `item_key`), collations (SQLite's
    NOCASE), triggers (the job counts'), table options (InnoDB, utf8mb4, WITHOUT ROWID) and
    AUTOINCREMENT. playhouse's diff_models is not enough on its own: it compares columns by name
    only, pairs indexes by their columns whatever their names, ignores tables no model covers,
    and on SQLite does not see generated columns.
    """
    actual, declared = actual_schema(database), declared_schema(database)
    assert sorted(actual) == sorted(declared)
    for table, parts in declared.items():
        for part, expected in parts.items():
            assert (table, part, actual[table][part]) == (table, part, expected)


def count_rows(database, table):
    return database.execute_sql(f'SELECT COUNT(*) FROM {table}').fetchone()[0]


def test_upgrade_down_to_zero_and_up_again(database):
    runner = db.migration_runner()
    every = names(runner.migrations())
    assert names(runner.status()) == every and not runner.applied()

    assert runner.up() == every
    assert_models_match(database)

    assert runner.down(every[0]) == every[::-1]
    assert set(database.get_tables()) - NOT_MODELLED == set()
    assert not runner.applied()

    assert runner.up() == every
    assert_models_match(database)


def test_upgrade_keeps_data(database):
    runner = db.migration_runner()
    runner.up('0003_job_status_completed_at')
    database.execute_sql(
        "INSERT INTO datamachine_jobs (pipeline_id, flow_id, status, created_at) VALUES "
        "(1, 10, 'completed', '2026-01-01 00:00:00'), (1, 10, 'failed - timeout', "
        "'2026-01-01 00:00:00'), (2, 20, 'failed - timeout', '2026-01-01 00:00:00')")
    database.execute_sql(
        "INSERT INTO datamachine_processed_items (flow_step_id, source_type, item_identifier, "
        "job_id, flow_id, pipeline_id, processed_at) VALUES "
        "('s', 'rss', 'https://example.com/1', 1, 10, 1, '2026-01-01 00:00:00')")
    database.execute_sql("INSERT INTO datamachine_users (username, role, created_at) VALUES "
                         "('ops', 'administrator', '2026-01-01 00:00:00')")

    runner.up()
    assert list(models.Job.select(models.Job.job_id, models.Job.status, models.Job.base_status)
                .order_by(models.Job.job_id).tuples()) == [
        (1, 'completed', 'completed'), (2, 'failed - timeout', 'failed'),
        (3, 'failed - timeout', 'failed')]
    assert models.ProcessedItem.get().item_identifier == 'https://example.com/1'
    assert models.User.get().username == 'ops'
    assert sorted(models.JobCount.select(models.JobCount.pipeline_id, models.JobCount.status,
                                         models.JobCount.n).tuples()) == [
        (1, 'completed', 1), (1, 'failed - timeout', 1), (2, 'failed - timeout', 1)]


@pytest.mark.parametrize('name', names(Migration.load_directory(db.migrations_dir())))
def test_each_migration_runs_twice_each_way(database, name):
    """A migration whose steps all took effect, but whose history row was never written (it
    failed at the last moment), runs again; so does one whose down() ran without its record."""
    runner = db.migration_runner()
    every = names(runner.migrations())
    if name != every[0]:
        runner.up(every[every.index(name) - 1])
    migration = next(m for m in runner.migrations() if m.name == name)
    migration.load().up(runner.migrator, database)
    runner.up()
    assert_models_match(database)

    runner.down(name)
    migration.load().up(runner.migrator, database)
    migration.load().down(runner.migrator, database)
    migration.load().down(runner.migrator, database)
    runner.up()
    assert_models_match(database)


def test_counts_migration_runs_again_after_failing_part_way(database, monkeypatch):
    """0004 failing after its table, counts and first trigger (kept on MariaDB, whose DDL commits
    on its own; rolled back on SQLite) counts every job once when run again."""
    runner = db.migration_runner()
    runner.up('0003_job_status_completed_at')
    database.execute_sql(
        "INSERT INTO datamachine_jobs (pipeline_id, flow_id, status, created_at) VALUES "
        "(1, 10, 'completed', '2026-01-01 00:00:00'), (1, 10, 'completed', '2026-01-01 00:00:00')")
    real = job_counts.trigger_sql

    def failing_after_the_first(dialect):
        return real(dialect)[:1] + ['CREATE TRIGGER broken']
    monkeypatch.setattr(job_counts, 'trigger_sql', failing_after_the_first)
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for bad SQL
        runner.up('0004_job_counts')
    assert '0004_job_counts' not in runner.applied()
    if isinstance(database, MySQLDatabase):  # what the failed run left behind
        assert 'datamachine_job_counts' in database.get_tables()
        assert count_rows(database, 'information_schema.triggers WHERE trigger_schema = '
                                    'DATABASE()') == 1

    monkeypatch.setattr(job_counts, 'trigger_sql', real)
    assert runner.up() == names(runner.migrations())[3:]
    assert_models_match(database)
    assert count_rows(database, 'datamachine_job_counts') == 1
    assert models.JobCount.get().n == 2
    models.Job.insert(pipeline_id=1, flow_id=10, status='completed').execute()
    assert models.JobCount.get().n == 3

