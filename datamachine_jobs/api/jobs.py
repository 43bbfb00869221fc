"""The jobs routes: parse -> service -> respond."""
from flask import Blueprint, current_app, request, url_for

from ..auth import require_manager
from ..errors import APIError
from ..schemas import MAX_ID, clear_jobs_args, create_job_args, job_list_args, update_job_args
from ..services import jobs
from . import body_params, page_headers, parse

bp = Blueprint('jobs', __name__)
bp.before_request(require_manager(lambda: None))


@bp.get('/jobs')
def list_jobs():
    """List jobs matching the filters, one page at a time, with exact totals."""
    args = parse(job_list_args, request.args)
    page, total = jobs.list_jobs(**args)
    per_page = args['per_page']
    body = {'success': True, 'data': page, 'total': total, 'per_page': per_page,
            'offset': args['offset']}
    return body, 200, page_headers(total, per_page)


def job_not_found():
    return APIError(404, 'job_not_found', 'Job not found.')


@bp.get('/jobs/<int:job_id>')
def get_job(job_id):
    """Show one job."""
    job = jobs.get_job(job_id) if job_id <= MAX_ID else None
    if job is None:
        raise job_not_found()
    return {'success': True, 'data': job}


@bp.post('/jobs')
def create_job():
    """Record a new pending job for a runner to claim."""
    job = jobs.create_job(**parse(create_job_args, body_params()))
    return {'success': True, 'data': job}, 201, {
        'Location': url_for('.get_job', job_id=job['job_id'])}


@bp.patch('/jobs/<int:job_id>')
def update_job(job_id):
    """Move a job along its lifecycle; of concurrent moves exactly one wins."""
    args = parse(update_job_args, body_params())
    try:
        job = jobs.update_job(job_id, **args) if job_id <= MAX_ID else None
    except jobs.InvalidTransition as err:
        raise APIError(409, 'invalid_transition',
                       f"A job cannot move from '{err.current_status}' to '{args['status']}'.",
                       current_status=err.current_status) from None
    except jobs.JobNotFound:
        job = None
    if job is None:
        raise job_not_found()
    return {'success': True, 'data': job}


@bp.delete('/jobs')
def clear_jobs():
    """Delete all or the failed jobs, and with cleanup_processed their processed items."""
    args = parse(clear_jobs_args, body_params())
    deleted, cleaned = jobs.clear_jobs(
        failed_only=args['type'] == 'failed', cleanup_processed=args['cleanup_processed'],
        batch_size=current_app.config['CLEAR_BATCH_SIZE'])
    return {'success': True, 'message': 'Jobs cleared successfully.', 'jobs_deleted': deleted,
            'processed_items_cleaned': cleaned}
