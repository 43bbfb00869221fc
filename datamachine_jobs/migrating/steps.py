"""Schema steps that skip what is already done, so that a migration can run again after failing
part-way: MariaDB commits each DDL statement on its own, so a failed migration leaves its first
steps in place without a history row, and the next `db upgrade` runs it again from the start."""
import re

from peewee import MySQLDatabase, sort_models
from playhouse.migrate import make_index_name

from ..peewee_internals import create_index_statement

# On MariaDB a clear of every job gives the new jobs table copies of the triggers named
# <name>_g<swap id> (the old names stay with the table set aside until it is dropped).
TRIGGER_GENERATION = re.compile(r'_g\d+$')


def drop_triggers(db, names):
    """Drop the triggers of these names, under whichever generation they are now."""
    if isinstance(db, MySQLDatabase):
        present = [name for (name,) in db.execute_sql(
            'SELECT trigger_name FROM information_schema.triggers '
            'WHERE trigger_schema = DATABASE()').fetchall()]
    else:
        present = [name for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()]
    for name in present:
        if TRIGGER_GENERATION.sub('', name) in names:
            db.execute_sql(f'DROP TRIGGER IF EXISTS {name}')


def index_names(db, table):
    return {index.name for index in db.get_indexes(table)}


def column_names(db, table):
    """The table's columns, generated ones included (SQLite's table_info, which peewee reads,
    leaves those out)."""
    if isinstance(db, MySQLDatabase):
        return {column.name for column in db.get_columns(table)}
    return {row[1] for row in db.execute_sql(f'PRAGMA table_xinfo("{table}")').fetchall()}


def create_tables(db, models):
    """Create each model's table and its indexes, the ones missing only.

    peewee's own `create_tables` skips every index of a table that exists on MySQL (which has no
    CREATE INDEX IF NOT EXISTS), so a table created before a failure would stay without them.
    """
    for model in sort_models(models):
        model._schema.create_table(safe=True)
        present = index_names(db, model._meta.table_name)
        for index in model._meta.fields_to_index():
            statement, name = create_index_statement(model, index)
            if name not in present:
                db.execute(statement)


def drop_table(db, table):
    db.execute_sql(f'DROP TABLE IF EXISTS {table}')


def add_index(migrator, db, table, columns, unique=False, name=None):
    """Add the index on `columns` named `name` (by default as peewee names it, after `table`
    and `columns`), unless it exists."""
    if name is None:
        if make_index_name(table, columns) not in index_names(db, table):
            migrator.migrate(migrator.add_index(table, columns, unique))
    elif name not in index_names(db, table):
        db.execute_sql(f'CREATE {"UNIQUE " if unique else ""}INDEX {name} ON {table} '
                       f'({", ".join(columns)})')


def drop_index(migrator, db, table, name):
    if name in index_names(db, table):
        migrator.migrate(migrator.drop_index(table, name))


def add_column(migrator, db, table, name, field):
    if name not in column_names(db, table):
        migrator.migrate(migrator.add_column(table, name, field))


def drop_column(migrator, db, table, name):
    if name in column_names(db, table):
        migrator.migrate(migrator.drop_column(table, name))


def add_column_as(db, table, name, definition):
    """ALTER TABLE ADD COLUMN with a definition in SQL: a generated column, which playhouse's
    migrator cannot add, or a NOT NULL one with a default, which it fills by updating every row
    (both databases add such a column without touching the rows)."""
    if name not in column_names(db, table):
        db.execute_sql(f'ALTER TABLE {table} ADD COLUMN {name} {definition}')


def drop_column_as(db, table, name):
    """Drop a column that add_column_as added."""
    if name in column_names(db, table):
        db.execute_sql(f'ALTER TABLE {table} DROP COLUMN {name}')
