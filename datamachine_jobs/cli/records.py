"""`audit` and `operations`: what destructive calls did, and the clears that outlive requests."""
import click
from flask.cli import AppGroup

from ..config import settings
from ..services import audit, operations
from ..vocabulary import AUDIT_ACTIONS, FAILED
from .common import print_records, with_database

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
    print_records(records, audit.KEYS, as_json)
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
    print_records(page, operations.KEYS, as_json)
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
