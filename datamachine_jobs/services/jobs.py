"""Jobs: listing, reading, recording their lifecycle and clearing them."""
from peewee import fn

from .. import statuses
from ..models import Job, ProcessedItem, utcnow
from .batches import delete_in_batches


class JobNotFound(LookupError):
    """No job has this id."""


class InvalidTransition(Exception):
    """The job's current status does not allow the requested move."""

    def __init__(self, current_status):
        super().__init__(current_status)
        self.current_status = current_status


# The job object's keys, in the contract's order.
JOB_FIELDS = (Job.job_id, Job.flow_id, Job.pipeline_id, Job.status, Job.started_at,
              Job.completed_at, Job.error_message)
JOB_KEYS = tuple(field.name for field in JOB_FIELDS)


def _as_dicts(rows):
    return [dict(zip(JOB_KEYS, row, strict=True)) for row in rows]


def _filtered(query, pipeline_id=None, flow_id=None, status=None):
    """Apply the list filters; a base status also matches its compound forms."""
    if pipeline_id is not None:
        query = query.where(Job.pipeline_id == pipeline_id)
    if flow_id is not None:
        query = query.where(Job.flow_id == flow_id)
    if status:
        column = Job.status if statuses.is_compound(status) else Job.base_status
        query = query.where(column == status)
    return query


def page_query(orderby='job_id', order='DESC', per_page=50, offset=0, **filters):
    """The query for one page of jobs, as tuples in JOB_KEYS order.

    Ties on `orderby` are broken by job_id in the same direction, so pages never overlap.
    """
    direction = 'desc' if order == 'DESC' else 'asc'
    ordering = [getattr(getattr(Job, orderby), direction)()]
    if orderby != 'job_id':
        ordering.append(getattr(Job.job_id, direction)())
    return (_filtered(Job.select(*JOB_FIELDS), **filters)
            .order_by(*ordering).limit(per_page).offset(offset).tuples())


def count_query(**filters):
    """The query counting the jobs that match the filters."""
    return _filtered(Job.select(fn.COUNT(Job.job_id)), **filters)


def list_jobs(orderby='job_id', order='DESC', per_page=50, offset=0, **filters):
    """One page of jobs and the number of jobs matching the filters."""
    page = page_query(orderby, order, per_page, offset, **filters)
    return _as_dicts(page), count_query(**filters).scalar()


def get_job(job_id):
    """The job with this id, or None."""
    rows = Job.select(*JOB_FIELDS).where(Job.job_id == job_id).tuples()
    found = _as_dicts(rows)
    return found[0] if found else None


def require_job(job_id):
    """The job with this id, or JobNotFound."""
    job = get_job(job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def create_job(pipeline_id, flow_id):
    """Record a new pending job; return it."""
    job_id = Job.insert(pipeline_id=pipeline_id, flow_id=flow_id,
                        status=statuses.PENDING).execute()
    return require_job(job_id)


def update_job(job_id, status, error_message=None):
    """Move a job to `status`, stamping started_at/completed_at; return the job.

    One conditional UPDATE decides, so of concurrent moves of one job exactly one wins and the
    others raise InvalidTransition (this is how a runner claims a pending job).
    """
    status = statuses.canonical(status)
    base = statuses.base_status(status)
    now = utcnow()
    values = {Job.status: status}
    if base == statuses.PROCESSING:
        values[Job.started_at] = now
    else:
        values[Job.completed_at] = now
        values[Job.started_at] = fn.COALESCE(Job.started_at, now)
    if error_message is not None:
        values[Job.error_message] = error_message
    sources = statuses.moves_into(base)
    moved = 0
    if sources:
        moved = Job.update(values).where(Job.job_id == job_id,
                                         Job.base_status.in_(sources)).execute()
    job = require_job(job_id)
    if not moved:
        raise InvalidTransition(job['status'])
    return job


def clear_jobs(failed_only, cleanup_processed, batch_size=1000):
    """Delete all jobs (or the failed ones) that exist now; return (jobs, processed items) deleted.

    Each batch of jobs goes in one transaction with the processed items of exactly those jobs, so
    an interruption leaves no orphaned records and a rerun finishes the work. Jobs created after
    the call began have larger ids than the bound read first, and are never touched.
    """
    bound = Job.select(fn.MAX(Job.job_id)).scalar()
    if bound is None:
        return 0, 0
    query = Job.select(Job.job_id).where(Job.job_id <= bound)
    if failed_only:
        query = query.where(Job.base_status == statuses.FAILED)
    items_deleted = 0

    def delete(ids):
        nonlocal items_deleted
        if cleanup_processed:
            items_deleted += ProcessedItem.delete().where(ProcessedItem.job_id.in_(ids)).execute()
        return Job.delete().where(Job.job_id.in_(ids)).execute()

    return delete_in_batches(query, Job.job_id, batch_size, delete), items_deleted
