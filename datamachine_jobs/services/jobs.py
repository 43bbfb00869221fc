"""Jobs: reading one, and recording their lifecycle."""
from peewee import fn

from .. import statuses
from ..db import database, retried
from ..exceptions import InvalidTransition, JobNotFound
from ..models import Job, timestamp_text, utcnow
from ..vocabulary import JOB_KEYS

COLUMNS = ', '.join(JOB_KEYS)  # selected as raw SQL: rows come back in JOB_KEYS order


def as_dicts(rows):
    """Job objects from raw rows of COLUMNS (started_at and completed_at are the 5th and 6th)."""
    return [{'job_id': job_id, 'flow_id': flow_id, 'pipeline_id': pipeline_id, 'status': status,
             'started_at': timestamp_text(started), 'completed_at': timestamp_text(completed),
             'error_message': error} for
            job_id, flow_id, pipeline_id, status, started, completed, error in rows]


def get_job(job_id):
    """The job with this id, or None."""
    rows = database.execute_sql(
        f'SELECT {COLUMNS} FROM datamachine_jobs WHERE job_id = {database.param}', (job_id,))
    found = as_dicts(rows.fetchall())
    return found[0] if found else None


def require_job(job_id):
    """The job with this id, or JobNotFound."""
    job = get_job(job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def create_job(pipeline_id, flow_id):
    """Record a new pending job; return it."""
    job_id = retried(Job.insert(pipeline_id=pipeline_id, flow_id=flow_id,
                                status=statuses.PENDING).execute)
    return require_job(job_id)


def update_job(job_id, status, error_message=None):
    """Move a job to `status`, stamping started_at/completed_at; return the job.

    One conditional UPDATE decides, so of concurrent moves of one job exactly one wins and the
    others raise InvalidTransition (this is how a runner claims a pending job).
    """
    requested, status = status, statuses.canonical(status)
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
        moved = retried(Job.update(values).where(Job.job_id == job_id,
                                                 Job.base_status.in_(sources)).execute)
    job = require_job(job_id)
    if not moved:
        raise InvalidTransition(job['status'], requested)
    return job
