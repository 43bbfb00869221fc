"""`db`: the schema's migrations."""
import click
from flask.cli import AppGroup
from playhouse.migrations import MigrationError

from .. import db
from .common import with_database

db_cli = AppGroup('db', help='Manage the database schema.')


@db_cli.command('upgrade')
@with_database(check_migrations=False, creates=True)
def db_upgrade():
    """Apply pending migrations (safe to repeat); an SQLite file that does not exist yet is
    created."""
    applied = db.migration_runner().up()
    for name in applied:
        click.echo(f'applied {name}')
    if not applied:
        click.echo('The database schema is up to date.')


@db_cli.command('status')
@with_database(check_migrations=False)
def db_status():
    """List applied and pending migrations; exit with status 1 when any is pending."""
    migrations = db.migration_runner().status()
    for migration in migrations:
        state = 'applied' if migration.applied else 'pending'
        missing = ' (its file is missing)' if migration.path is None else ''
        click.echo(f'{state} {migration.name}{missing}')
    if any(not migration.applied for migration in migrations):
        click.get_current_context().exit(1)


@db_cli.command('downgrade')
@click.argument('target', type=click.IntRange(min=0))
@click.confirmation_option(prompt='Revert the migrations after TARGET? What they added is dropped, '
                                  'with its data.')
@with_database(check_migrations=False)
def db_downgrade(target):
    """Revert the migrations after number TARGET, newest first (0 reverts them all)."""
    runner = db.migration_runner()
    migrations = runner.status()
    if target and target not in {m.idx for m in migrations}:
        raise click.BadParameter(f'there is no migration {target:04d}', param_hint='TARGET')
    later = [m for m in migrations if m.applied and m.idx > target]
    if not later:
        click.echo('Nothing to revert.')
        return
    try:
        reverted = runner.down(later[0].name)
    except MigrationError as err:
        raise click.ClickException(str(err)) from None
    for name in reverted:
        click.echo(f'reverted {name}')
