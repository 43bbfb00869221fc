"""`jobs` and `flows`: every reading and writing capability of the jobs routes, validated by the
same schemas and carried out by the same services (and audit) as the API."""
import csv
import functools
import sys
from datetime import UTC, datetime

import click
import orjson
from flask.cli import AppGroup

from .. import statuses
from ..api.paging import cursor_after
from ..config import settings
from ..models import time_before
from ..schemas import (
    clear_jobs_args,
    flow_health_args,
    job_list_args,
    recover_stuck_args,
    retry_job_args,
    summary_args,
)
from ..schemas.jobs import RowFilterArgs, wants_edit_keys
from ..services import audit, clearing, flows, jobs, leases, listing, summary
from ..vocabulary import ALL_JOB_KEYS, JOB_DELETE, JOB_KEYS, JOBS_CLEAR, JOBS_RECOVER_STUCK, MAX_ID
from .common import echo_json, load, with_database

jobs_cli = AppGroup('jobs', help='List, summarise, retry, recover, delete and clear jobs.')
flows_cli = AppGroup('flows', help='Which flows are failing.')
ROW_FILTERS = tuple(RowFilterArgs().fields)
FORMATS = ('table', 'json', 'ndjson', 'csv', 'ids', 'count')


def filter_options(command):
    """The list filters as options (those of GET /jobs but its paging and ordering)."""
    options = [
        click.option('--status', help='Statuses, comma-separated: a base status matches its '
                                      'compound forms, a compound one matches exactly.'),
        click.option('--flow-id', 'flow_id'), click.option('--pipeline-id', 'pipeline_id'),
        click.option('--started-after', 'started_after', help='Inclusive; UTC or ISO 8601.'),
        click.option('--started-before', 'started_before', help='Exclusive.'),
        click.option('--completed-after', 'completed_after', help='Inclusive.'),
        click.option('--completed-before', 'completed_before', help='Exclusive.'),
        click.option('--retry-of', 'retry_of', help='Only the retries of this job.'),
        click.option('--stuck/--not-stuck', default=None,
                     help='Only the stuck jobs, or only the others.')]
    return functools.reduce(lambda wrapped, option: option(wrapped), reversed(options), command)


@jobs_cli.command('list')
@filter_options
@click.option('--orderby', default='job_id', show_default=True)
@click.option('--order', default='DESC', show_default=True)
@click.option('--per-page', 'per_page', default='50', show_default=True)
@click.option('--offset', default='0', show_default=True)
@click.option('--fields', '_fields', help='Comma-separated job keys to print.')
@click.option('--context', type=click.Choice(('view', 'edit')), default='view',
              help='edit: the lease, attempts and retry_of too.')
@click.option('--all', 'every', is_flag=True,
              help='Every matching job (a keyset walk by job_id in --order), not one page.')
@click.option('--format', 'output', type=click.Choice(FORMATS), default='table',
              show_default=True, help='json: the body of GET /jobs; ndjson: a job per line; '
                                      'ids: an id per line; count: the matching total.')
@click.option('--json', 'as_json', is_flag=True, help='Same as --format json.')
@with_database()
def jobs_list(output, as_json, every, **options):
    """List jobs with the filters, sorting and pages of GET /jobs."""
    args = load(job_list_args, options)
    output = 'json' if as_json else output
    filters = {name: args[name] for name in ROW_FILTERS if name in args}
    cutoffs = leases.stuck_filter(filters, settings())
    edit = wants_edit_keys(args)
    keys = [key for key in (ALL_JOB_KEYS if edit else JOB_KEYS)
            if not args.get('fields') or key in args['fields']]
    if output == 'count':
        click.echo(listing.list_jobs(per_page=1, **filters, **cutoffs)[1])
        return
    if every:
        _print_jobs(listing.walk(args['order'], edit, **filters, **cutoffs), keys, output)
        return
    orderby, order = args['orderby'], args['order']
    page, total, more = listing.list_jobs(orderby, order, args['per_page'], args['offset'],
                                          None, edit, **filters, **cutoffs)
    if output == 'json':
        echo_json({'success': True, 'data': [{k: job[k] for k in keys} for job in page],
                   'total': total, 'per_page': args['per_page'], 'offset': args['offset'],
                   'next_cursor': cursor_after(page[-1], orderby, order, filters)
                   if more else None})
        return
    _print_jobs(page, keys, output)
    if output == 'table':
        click.echo(f'{len(page)} of {total} jobs', err=True)


def _print_jobs(jobs_, keys, output):
    if output == 'table':
        click.echo('\t'.join(keys))
    writer = csv.writer(sys.stdout, lineterminator='\n') if output == 'csv' else None
    if writer:
        writer.writerow(keys)
    for job in jobs_:
        if output == 'ids':
            click.echo(job['job_id'])
        elif output == 'csv':
            writer.writerow(['' if job[k] is None else job[k] for k in keys])
        elif output in ('ndjson', 'json'):
            click.echo(orjson.dumps({k: job[k] for k in keys}).decode())
        else:
            click.echo('\t'.join('-' if job[k] is None else str(job[k]) for k in keys))


@jobs_cli.command('show')
@click.argument('job_id', type=click.IntRange(1, MAX_ID))
@click.option('--context', type=click.Choice(('view', 'edit')), default='view')
@with_database()
def jobs_show(job_id, context):
    """Print one job as JSON."""
    job = jobs.get_job(job_id, context == 'edit')
    if job is None:
        raise click.ClickException('Job not found.')
    echo_json(job, indent=True)


@jobs_cli.command('summary')
@filter_options
@click.option('--group-by', 'group_by', type=click.Choice(('flow_id', 'pipeline_id')))
@with_database()
def jobs_summary(**options):
    """Print the summary of GET /jobs/summary as JSON."""
    filters = load(summary_args, options)
    echo_json(summary.summarize(**filters, **leases.stuck_filter(filters, settings())),
              indent=True)


@jobs_cli.command('retry')
@click.argument('job_id', type=click.IntRange(1, MAX_ID))
@click.option('--force', is_flag=True, help='Retry a job that has not finished too.')
@with_database()
def jobs_retry(job_id, force):
    """Record a new pending job retrying JOB_ID; print it."""
    args = load(retry_job_args, {'force': force})
    echo_json(jobs.retry_job(job_id, args['force']), indent=True)


@jobs_cli.command('delete')
@click.argument('job_id', type=click.IntRange(1, MAX_ID))
@click.option('--cleanup-processed', is_flag=True, help="Also delete the job's processed items.")
@click.confirmation_option(prompt='Delete this job?')
@with_database()
def jobs_delete(job_id, cleanup_processed):
    """Delete one job, as DELETE /jobs/{job_id} does (audited)."""
    parameters = {'job_id': job_id, 'cleanup_processed': cleanup_processed}
    with audit.recorded(JOB_DELETE, parameters, audit.cli_actor()) as operation:
        jobs.delete_job(job_id, cleanup_processed, then=operation.progress)
    click.echo(f"Deleted job {job_id} and {operation.rows['processed_items']} processed items.")


@jobs_cli.command('recover-stuck')
@click.option('--action', type=click.Choice(('fail', 'requeue')), required=True)
@click.option('--timeout', help='Processing with no heartbeat this long is stuck: 2h, 90m, 7d '
                                'or seconds (default DATAMACHINE_STUCK_TIMEOUT).')
@click.option('--pending-timeout', 'pending_timeout')
@click.option('--flow-id', 'flow_id')
@click.option('--pipeline-id', 'pipeline_id')
@click.option('--limit')
@click.option('--dry-run', is_flag=True, help='Only list the jobs a run would change.')
@with_database()
def jobs_recover_stuck(**options):
    """Fail or requeue the stuck jobs, as POST /jobs/recover-stuck does (audited)."""
    args = load(recover_stuck_args, options)
    config = settings()
    before = leases.cutoffs(args.get('timeout', config.stuck_timeout),
                            args.get('pending_timeout', config.stuck_pending_timeout))
    scope = {name: args[name] for name in ('pipeline_id', 'flow_id') if name in args}
    action, done = args['action'], {leases.FAIL: 'jobs_failed', leases.REQUEUE: 'jobs_requeued'}
    if args['dry_run']:
        found = leases.recover_stuck(action, *before, args['limit'], dry_run=True, **scope)
    else:
        with audit.recorded(JOBS_RECOVER_STUCK, {'action': action, **options},
                            audit.cli_actor()) as operation:
            found = leases.recover_stuck(action, *before, args['limit'], **scope, then=lambda f: (
                operation.progress(**{done[action]: len(f)})))
    for job in found:
        click.echo(f"{job['job_id']}\t{job['status']}\tsince {job['stuck_since']}")
    verb = 'would be' if args['dry_run'] else 'were'
    click.echo(f'{len(found)} stuck jobs {verb} {"failed" if action == "fail" else "requeued"}.')


@jobs_cli.command('clear')
@click.option('--type', 'type', type=click.Choice(('all', 'failed')), required=True)
@click.option('--cleanup-processed', is_flag=True,
              help="Also delete the deleted jobs' processed-item records.")
@click.option('--older-than', 'older_than', help='Only finished jobs completed before this: '
                                                 '30d, 12h, 90m or a time.')
@click.option('--flow-id', 'flow_id')
@click.option('--pipeline-id', 'pipeline_id')
@click.option('--dry-run', is_flag=True, help='Only count what would be deleted.')
@click.option('--yes', is_flag=True, help='Do not ask for confirmation.')
@with_database()
def jobs_clear(yes, **options):
    """Delete all or the failed jobs (by age and scope), as DELETE /jobs does (audited)."""
    args = load(clear_jobs_args, options)
    failed_only, cleanup = args['type'] == 'failed', args['cleanup_processed']
    scope = {name: args[name] for name in ('older_than', 'pipeline_id', 'flow_id')
             if name in args}
    matched, items, by_status = clearing.preview_clear(failed_only, cleanup, **scope)
    counts = f'{matched} jobs and {items} processed items'
    if args['dry_run']:
        click.echo(f'Would delete {counts}: ' + ', '.join(
            f'{base} {by_status.get(base, 0)}' for base in statuses.BASE_STATUSES) + '.')
        return
    if not yes:
        click.confirm(f'Delete {counts}?', abort=True)
    parameters = {key: value for key, value in options.items() if value not in (None, False)}
    with audit.recorded(JOBS_CLEAR, parameters, audit.cli_actor(), clearing.job_bound(),
                        ('jobs', 'processed_items')) as operation:
        freeing = clearing.clear_jobs(failed_only, cleanup, settings().clear_batch_size,
                                      operation.bound, operation.progress, **scope)
    click.echo(f"Deleted {operation.rows['jobs']} jobs and "
               f"{operation.rows['processed_items']} processed items.")
    if freeing is not None:
        click.echo('Freeing the space they took...')
        freeing.join()


@flows_cli.command('health')
@click.option('--window', help='How far back runs count: 24h, 7d or seconds (default 24h).')
@click.option('--pipeline-id', 'pipeline_id')
@click.option('--problems', is_flag=True, help='Only the failing flows.')
@click.option('--min-consecutive-failures', 'min_consecutive_failures')
@click.option('--min-success-rate', 'min_success_rate')
@click.option('--json', 'as_json', is_flag=True, help='Print the body of GET /flows/health.')
@with_database()
def flows_health(as_json, problems, **options):
    """Per flow: runs, failures, success rate, failures since the last success, newest error."""
    args = load(flow_health_args, {**options, 'problems': problems})
    since = time_before(datetime.now(UTC).replace(tzinfo=None), args['window'])
    found = flows.health(since, args.get('pipeline_id'))
    if args['problems']:
        found = flows.failing(found, args['min_consecutive_failures'], args['min_success_rate'])
    if as_json:
        echo_json({'success': True, 'since': since, 'data': found, 'total': len(found)})
        return
    keys = ('flow_id', 'pipeline_id', 'runs', 'failures', 'success_rate',
            'consecutive_failures', 'last_success_at', 'last_failure_at', 'last_error')
    click.echo('\t'.join(keys))
    for flow in found:
        click.echo('\t'.join('-' if flow[k] is None else str(flow[k]) for k in keys))
    click.echo(f'{len(found)} flows since {since}', err=True)
