"""The `retention` commands: show the rules, preview a run, run it (from cron or the systemd
timer in deploy/), through the same services and audit as the API."""
import click
from flask.cli import AppGroup

from ..config import settings
from ..services import audit, retention
from ..vocabulary import RETENTION_RUN
from .common import with_database

retention_cli = AppGroup('retention', help='Show, preview and run the retention rules.')


@retention_cli.command('show')
@with_database()
def retention_show():
    """Print the rules, one per line (seconds), and when the last run ended."""
    rules = retention.get_rules()
    for status, seconds in rules['jobs'].items():
        click.echo(f'jobs.{status}\t{seconds}')
    click.echo(f'{retention.KEEP_PER_FLOW}\t{rules[retention.KEEP_PER_FLOW]}')
    click.echo(f'{retention.ITEMS}\t{rules[retention.ITEMS] or "-"}')
    records, _ = audit.list_records(1, 0, RETENTION_RUN)
    click.echo('last run: ' + (f"{records[0]['created_at']} ({records[0]['outcome']})"
                               if records else 'never'), err=True)


def _print_rules(done):
    for rule in done:
        click.echo(f"{rule['rule']}\tolder than {rule['older_than']}\t{rule['rows']}")


def _totals(done):
    jobs = sum(rule['rows'] for rule in done if rule['rule'] != retention.ITEMS)
    return jobs, sum(rule['rows'] for rule in done if rule['rule'] == retention.ITEMS)


@retention_cli.command('preview')
@with_database()
def retention_preview():
    """Print what a run would delete now, by rule."""
    done = retention.preview(retention.get_rules())
    _print_rules(done)
    jobs, items = _totals(done)
    click.echo(f'{jobs} jobs and {items} processed items match.')


@retention_cli.command('run')
@click.option('--dry-run', is_flag=True, help='Only say what a run would delete.')
@with_database()
def retention_run(dry_run):
    """Apply the rules now, audited; for cron or deploy/datamachine-jobs-retention.timer."""
    rules = retention.get_rules()
    if dry_run:
        done = retention.preview(rules)
        _print_rules(done)
        click.echo('A run would delete {} jobs and {} processed items.'.format(*_totals(done)))
        return
    with audit.recorded(RETENTION_RUN, {'rules': rules}, audit.cli_actor()) as operation:
        done = retention.run(rules, settings().clear_batch_size, operation.progress)
    _print_rules(done)
    click.echo('Deleted {} jobs and {} processed items.'.format(*_totals(done)))
