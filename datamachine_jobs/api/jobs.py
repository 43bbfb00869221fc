"""The jobs routes: parse -> service -> respond."""
from math import ceil

from flask import Blueprint, current_app, request

from ..auth import require_manager
from ..errors import APIError
from ..schemas import MAX_ID, clear_jobs_args, job_list_args
from ..services import jobs
from . import body_params, parse

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
    return body, 200, {'X-WP-Total': str(total), 'X-WP-TotalPages': str(ceil(total / per_page))}


@bp.get('/jobs/<int:job_id>')
def get_job(job_id):
    """Show one job."""
    job = jobs.get_job(job_id) if job_id <= MAX_ID else None
    if job is None:
        raise APIError(404, 'job_not_found', 'Job not found.')
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
