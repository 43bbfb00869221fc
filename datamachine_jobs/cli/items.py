"""`processed-items`: clear a flow's or a pipeline's records."""
import click
from flask.cli import AppGroup

from ..config import settings
from ..services import audit, processed_items
from ..vocabulary import ITEMS_CLEAR, MAX_ID
from .common import with_database

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
