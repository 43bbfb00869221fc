"""The `datamachine-jobs` command line: migrations, users, application passwords, jobs, processed
items, the audit log, operations and demo data, acting on the configured database through the
same services as the API."""
import functools

import click
import orjson
import peewee
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from marshmallow import ValidationError
from playhouse.migrations import MigrationError

from . import create_app, db, passwords
from .auth import ROLES
from .config import ConfigError, settings
from .errors import invalid_params
from .models import Job, User
from .schemas import job_list_args
from .services import accounts, audit, clearing, jobs, listing, operations, processed_items
from .services import seed as seeding
from .vocabulary import (
    API_PREFIX,
    AUDIT_ACTIONS,
    FAILED,
    ITEMS_CLEAR,
    JOB_KEYS,
    JOBS_CLEAR,
    MAX_ID,
)


def with_database(check_migrations=True):
    """Run the command on an open connection and turn expected failures into one clear line."""
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            try:
                with db.database.connection_context():
                    if check_migrations and db.pending_migrations():
                        raise click.ClickException(
                            'the database schema is not current: run `datamachine-jobs db upgrade`')
                    return command(*args, **kwargs)
            except accounts.AccountError as err:
                raise click.ClickException(str(err)) from None
            except (peewee.OperationalError, peewee.InterfaceError) as err:
                raise click.ClickException(f'database error: {err}') from None
        return run
    return decorate


db_cli = AppGroup('db', help='Manage the database schema.')


@db_cli.command('upgrade')
@with_database(check_migrations=False)
def db_upgrade():
    """Apply pending migrations (safe to repeat)."""
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


users_cli = AppGroup('users', help='Manage users.')


@users_cli.command('create')
@click.argument('username')
@click.option('--role', type=click.Choice(ROLES), required=True, help='WordPress role.')
@click.option('--email', default=None, help='Email address; it may stand for the username.')
@with_database()
def users_create(username, role, email):
    """Create a user."""
    accounts.create_user(username, role, email)
    click.echo(f'Created {role} {username!r}.')


passwords_cli = AppGroup('app-passwords', help='Manage application passwords.')


@passwords_cli.command('create')
@click.argument('username')
@click.argument('name')
@with_database()
def app_passwords_create(username, name):
    """Create an application password; it is printed once, on the last line."""
    record, plain = accounts.create_app_password(
        username, name, settings().password_key)
    click.echo(f'Created application password {name!r} for {username!r} (uuid {record.uuid}).')
    click.echo('It is shown only this once:')
    click.echo(passwords.grouped(plain))


@passwords_cli.command('list')
@click.argument('username')
@with_database()
def app_passwords_list(username):
    """List a user's application passwords."""
    click.echo('uuid\tname\tcreated_at\tlast_used_at\tlast_ip\trevoked_at')
    for p in accounts.list_app_passwords(username):
        click.echo('\t'.join(str(v) if v is not None else '-' for v in (
            p.uuid, p.name, p.created_at, p.last_used_at, p.last_ip, p.revoked_at)))


@passwords_cli.command('revoke')
@click.argument('username')
@click.argument('uuid')
@with_database()
def app_passwords_revoke(username, uuid):
    """Revoke an application password; it stops working at once."""
    accounts.revoke_app_password(username, uuid)
    click.echo(f'Revoked {uuid}.')


@click.command('seed')
@with_appcontext
@click.option('--jobs', 'count', type=click.IntRange(min=1), required=True,
              help='How many jobs to add.')
@click.option('--random-seed', type=int, default=None, help='Make the data reproducible.')
@with_database()
def seed_command(count, random_seed):
    """Add realistic demo jobs and processed items after the existing ones."""
    jobs, items = seeding.seed(count, rng_seed=random_seed)
    click.echo(f'Added {jobs} jobs and {items} processed items.')


@click.command('demo')
@with_appcontext
@click.option('--username', default='admin', show_default=True)
@click.option('--jobs', 'count', type=click.IntRange(min=0), default=500, show_default=True)
@click.option('--url', default='http://127.0.0.1:5000', show_default=True,
              help='Where the service will listen, for the dashboard and curl lines.')
@with_database()
def demo_command(username, count, url):
    """First-run setup: an administrator with a password printed once, and demo jobs. Idempotent."""
    if User.get_or_none(User.username == username) is None:
        accounts.create_user(username, 'administrator')
        _, plain = accounts.create_app_password(
            username, 'demo', settings().password_key)
        credentials = f'{username}:{passwords.grouped(plain)}'
        click.echo(f'Created administrator {username!r}. Its application password, shown once:')
        click.echo(f'    {passwords.grouped(plain)}')
        click.echo('Try:')
        click.echo(f"    curl -u '{credentials}' {url}{API_PREFIX}/jobs")
    else:
        click.echo(f'User {username!r} exists. For a new password: '
                   f'datamachine-jobs app-passwords create {username} NAME')
    click.echo(f'Dashboard: {url}/dashboard/ (sign in as {username} with an application '
               'password)')
    if count and not Job.select().exists():
        jobs, items = seeding.seed(count)
        click.echo(f'Added {jobs} demo jobs and {items} processed items.')


jobs_cli = AppGroup('jobs', help='Inspect and clear jobs.')


@jobs_cli.command('list')
@click.option('--status', help='Statuses, comma-separated: a base status matches its compound '
                                'forms, a compound one matches exactly.')
@click.option('--flow-id', 'flow_id')
@click.option('--pipeline-id', 'pipeline_id')
@click.option('--orderby', default='job_id', show_default=True)
@click.option('--order', default='DESC', show_default=True)
@click.option('--per-page', 'per_page', default='50', show_default=True)
@click.option('--offset', default='0', show_default=True)
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON job object per line.')
@with_database()
def jobs_list(as_json, **options):
    """List jobs with the filters and sorting of GET /jobs."""
    try:
        args = job_list_args.load({k: v for k, v in options.items() if v is not None})
    except ValidationError as err:
        error = invalid_params(job_list_args, err)
        raise click.UsageError(' '.join(error.data['params'].values())) from None
    page, total, _ = listing.list_jobs(**args)
    if not as_json:
        click.echo('\t'.join(JOB_KEYS))
    for job in page:
        click.echo(orjson.dumps(job).decode() if as_json else
                   '\t'.join('-' if v is None else str(v) for v in job.values()))
    click.echo(f'{len(page)} of {total} jobs', err=True)


@jobs_cli.command('show')
@click.argument('job_id', type=click.IntRange(1, MAX_ID))
@with_database()
def jobs_show(job_id):
    """Print one job as JSON."""
    job = jobs.get_job(job_id)
    if job is None:
        raise click.ClickException('Job not found.')
    click.echo(orjson.dumps(job, option=orjson.OPT_INDENT_2).decode())


@jobs_cli.command('clear')
@click.option('--type', 'clear_type', type=click.Choice(('all', 'failed')), required=True)
@click.option('--cleanup-processed', is_flag=True,
              help="Also delete the deleted jobs' processed-item records.")
@click.confirmation_option(prompt='Delete these jobs?')
@with_database()
def jobs_clear(clear_type, cleanup_processed):
    """Delete all or the failed jobs, as DELETE /jobs does."""
    parameters = {'type': clear_type, 'cleanup_processed': cleanup_processed}
    with audit.recorded(JOBS_CLEAR, parameters, audit.cli_actor(), clearing.job_bound(),
                        ('jobs', 'processed_items')) as operation:
        freeing = clearing.clear_jobs(clear_type == 'failed', cleanup_processed,
                                      settings().clear_batch_size, operation.bound,
                                      operation.progress)
    click.echo(f"Deleted {operation.rows['jobs']} jobs and "
               f"{operation.rows['processed_items']} processed items.")
    if freeing is not None:
        click.echo('Freeing the space they took...')
        freeing.join()


items_cli = AppGroup('processed-items', help='Manage deduplication records.')


@items_cli.command('clear')
@click.option('--clear-type', type=click.Choice(('pipeline', 'flow')), required=True)
@click.option('--target-id', type=click.IntRange(1, MAX_ID), required=True,
              help='The pipeline or flow id.')
@click.confirmation_option(prompt='Delete these records?')
@with_database()
def items_clear(clear_type, target_id):
    """Delete every record of a pipeline or a flow, as DELETE /processed-items does."""
    parameters = {'clear_type': clear_type, 'target_id': target_id}
    with audit.recorded(ITEMS_CLEAR, parameters, audit.cli_actor(),
                        processed_items.item_bound(), ('processed_items',)) as operation:
        processed_items.clear_items(clear_type, target_id,
                                    settings().clear_batch_size, operation.bound,
                                    operation.progress)
    click.echo(f"Deleted {operation.rows['processed_items']} deduplication tracking records.")


audit_cli = AppGroup('audit', help='Read the audit log of destructive calls.')


@audit_cli.command('list')
@click.option('--action', type=click.Choice(AUDIT_ACTIONS), help='Only this action.')
@click.option('--username', help='Only this user.')
@click.option('--limit', type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON record per line.')
@with_database()
def audit_list(action, username, limit, as_json):
    """List audit records, newest first."""
    records, total = audit.list_records(limit, 0, action, username)
    _print_records(records, audit.KEYS, as_json)
    click.echo(f'{len(records)} of {total} records', err=True)


operations_cli = AppGroup('operations', help='Follow and finish the clears asked with '
                                             'Prefer: respond-async.')


@operations_cli.command('list')
@click.option('--limit', type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON operation per line.')
@with_database()
def operations_list(limit, as_json):
    """List operations, newest first."""
    page, total = operations.list_operations(limit, 0)
    _print_records(page, operations.KEYS, as_json)
    click.echo(f'{len(page)} of {total} operations', err=True)


@operations_cli.command('resume')
@with_database()
def operations_resume():
    """Carry out here, to their end, the queued operations and those whose worker died (their
    lease expired); exit with status 1 when one fails."""
    config = settings()
    claimed = operations.claim_expired(config.operation_lease, queued_too=True)
    if not claimed:
        click.echo('Nothing to resume.')
    ended = {operation_id: operations.run(operation_id, config.clear_batch_size)
             for operation_id in claimed}
    for operation_id, state in ended.items():
        click.echo(f'operation {operation_id}: {state or "carried out by another process"}')
    if FAILED in ended.values():
        click.get_current_context().exit(1)


def _print_records(records, keys, as_json):
    """One line per record: its JSON, or a tab-separated row under a header of `keys`."""
    if not as_json:
        click.echo('\t'.join(keys))
    for record in records:
        click.echo(orjson.dumps(record).decode() if as_json else '\t'.join(
            '-' if value is None else orjson.dumps(value).decode() if isinstance(value, dict)
            else str(value) for value in record.values()))


def register(app):
    """Attach the commands to the app, where `flask` and the tests' CLI runner find them."""
    for command in (db_cli, users_cli, passwords_cli, jobs_cli, items_cli, audit_cli,
                    operations_cli, seed_command, demo_command):
        app.cli.add_command(command)


def load_app():
    """Build the app for a command, reporting a bad setting as one line instead of a traceback."""
    try:
        return create_app()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


def main():
    """Entry point of the `datamachine-jobs` console script."""
    FlaskGroup(create_app=load_app, help=__doc__)()
