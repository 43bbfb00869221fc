"""Listing, reading and clearing jobs."""
from peewee import fn

from .. import statuses
from ..db import locking, write_transaction
from ..models import Job, ProcessedItem

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


def clear_jobs(failed_only, cleanup_processed, batch_size=1000):
    """Delete all jobs (or the failed ones) that exist now; return (jobs, processed items) deleted.

    Works in batches of job ids, each in its own transaction with the processed items of exactly
    those jobs, so an interruption leaves whole batches done and a rerun finishes the work. Jobs
    created after the call began have larger ids than the bound read first, and are never touched.
    """
    bound = Job.select(fn.MAX(Job.job_id)).scalar()
    jobs_deleted = items_deleted = 0
    last_id = 0
    while bound is not None:
        with write_transaction():
            batch = Job.select(Job.job_id).where(Job.job_id > last_id, Job.job_id <= bound)
            if failed_only:
                batch = batch.where(Job.base_status == statuses.FAILED)
            ids = [job_id for (job_id,) in
                   locking(batch.order_by(Job.job_id).limit(batch_size)).tuples()]
            if not ids:
                break
            if cleanup_processed:
                items_deleted += (ProcessedItem.delete()
                                  .where(ProcessedItem.job_id.in_(ids)).execute())
            jobs_deleted += Job.delete().where(Job.job_id.in_(ids)).execute()
        last_id = ids[-1]
    return jobs_deleted, items_deleted
