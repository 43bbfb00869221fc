"""The jobs routes: parse -> service -> respond."""

from flask import Blueprint, request, url_for

from .. import statuses
from ..auth import auth, protect
from ..config import settings
from ..schemas import (
    clear_jobs_args,
    create_job_args,
    delete_job_args,
    job_args,
    job_list_args,
    retry_job_args,
    summary_args,
    update_job_args,
)
from ..schemas.jobs import RowFilterArgs, wants_edit_keys
from ..services import clearing, jobs, leases, listing, summary
from ..vocabulary import ALL_JOB_KEYS, JOB_DELETE, JOBS_CLEAR
from . import paging
from .audited import audited
from .cleared import jobs_cleared
from .idempotent import idempotent
from .operations import accepted, prefers_async
from .params import body_params, parse

bp = Blueprint('jobs', __name__)
protect(bp)

ROW_FILTERS = tuple(RowFilterArgs().fields)  # the list's and the export's
CLEAR_SCOPE = ('older_than', 'pipeline_id', 'flow_id')
CLEARED_TABLES = ('jobs', 'processed_items')


@bp.after_request
def cheap_polling(response):
    """An ETag on every reading answer (a digest of its body, so it changes exactly when the
    answer does), and 304 Not Modified, with no body, to a request whose If-None-Match names it.
    The queries still run; what a poll that finds nothing new saves is the transfer and the
    client's parsing."""
    if request.method in ('GET', 'HEAD') and response.status_code == 200:
        response.add_etag()
        response.headers['Cache-Control'] = 'private, no-cache'
        return response.make_conditional(request)
    return response


def _project(job, keys):
    """Keep only the keys asked for with `_fields`, in the job object's order."""
    if not keys:
        return job
    return {key: job[key] for key in ALL_JOB_KEYS if key in keys}


@bp.get('/jobs')
def list_jobs():
    """List jobs matching the filters, by offset or cursor, with exact totals."""
    args = parse(job_list_args, request.args)
    filters = {name: args[name] for name in ROW_FILTERS if name in args}
    orderby, order, after = args['orderby'], args['order'], None
    if 'cursor' in args:
        orderby, order, after = paging.resume(args, filters)
    per_page = args['per_page']
    page, total, more = listing.list_jobs(orderby, order, per_page, args['offset'], after,
                                          wants_edit_keys(args), **filters,
                                          **leases.stuck_filter(filters, settings()))
    headers = paging.page_headers(total, per_page)
    next_cursor = None
    if more:
        next_cursor, headers['Link'] = paging.next_page(page[-1], orderby, order, filters)
    body = {'success': True, 'data': [_project(job, args.get('fields')) for job in page],
            'total': total, 'per_page': per_page, 'offset': args['offset'],
            'next_cursor': next_cursor}
    return body, 200, headers


@bp.get('/jobs/summary')
def summarize_jobs():
    """Counts by base status, success rate and durations of the matching jobs (per group)."""
    filters = parse(summary_args, request.args)
    return {'success': True, 'data': summary.summarize(
        **filters, **leases.stuck_filter(filters, settings()))}


@bp.get('/jobs/<int:job_id>')
def get_job(job_id):
    """Show one job."""
    args = parse(job_args, request.args)
    job = jobs.require_job(job_id, wants_edit_keys(args))
    return {'success': True, 'data': _project(job, args.get('fields'))}


@bp.post('/jobs')
@idempotent()
def create_job():
    """Record a new pending job for a runner to claim."""
    job = jobs.create_job(**parse(create_job_args, body_params()))
    return {'success': True, 'data': job}, 201, {
        'Location': url_for('.get_job', job_id=job['job_id'])}


@bp.patch('/jobs/<int:job_id>')
@idempotent()
def update_job(job_id):
    """Move a job along its lifecycle; of concurrent moves exactly one wins."""
    args = parse(update_job_args, body_params())
    job = jobs.update_job(job_id, claimed_by=auth.current_user().password_name, **args)
    return {'success': True, 'data': job}


@bp.post('/jobs/<int:job_id>/retry')
@idempotent()
def retry_job(job_id):
    """Record a new pending job for the same pipeline and flow, linked to the one it retries."""
    args = parse(retry_job_args, body_params())
    job = jobs.retry_job(job_id, args['force'])
    return {'success': True, 'data': job}, 201, {
        'Location': url_for('.get_job', job_id=job['job_id'])}


@bp.delete('/jobs/<int:job_id>')
def delete_job(job_id):
    """Delete one job (and its processed items with cleanup_processed), audited."""
    received = body_params()
    args = parse(delete_job_args, received)
    with audited(JOB_DELETE, {**received, 'job_id': job_id}) as operation:
        jobs.delete_job(job_id, args['cleanup_processed'], then=operation.progress)
    return {'success': True, 'message': 'Job deleted successfully.', 'job_id': job_id,
            'jobs_deleted': 1, 'processed_items_cleaned': operation.rows['processed_items']}


@bp.delete('/jobs')
@idempotent(operation=True)
def clear_jobs():
    """Delete all or the failed jobs (optionally by age and scope), or preview it with dry_run;
    with Prefer: respond-async, answer 202 at once and clear in the background."""
    received = body_params()
    args = parse(clear_jobs_args, received)
    failed_only = args['type'] == 'failed'
    scope = {name: args[name] for name in CLEAR_SCOPE if name in args}
    if args['dry_run']:
        matched, items, by_status = clearing.preview_clear(
            failed_only, args['cleanup_processed'], **scope)
        return {'success': True, 'dry_run': True, 'jobs_matched': matched,
                'processed_items_matched': items,
                'by_status': {base: by_status.get(base, 0) for base in statuses.BASE_STATUSES}}
    if prefers_async():
        return accepted(JOBS_CLEAR, received, {'failed_only': failed_only,
                                               'cleanup_processed': args['cleanup_processed'],
                                               **scope})
    with audited(JOBS_CLEAR, received, clearing.job_bound, CLEARED_TABLES) as operation:
        clearing.clear_jobs(failed_only, args['cleanup_processed'],
                            settings().clear_batch_size, operation.bound,
                            operation.progress, **scope)
    return jobs_cleared(operation.rows)
