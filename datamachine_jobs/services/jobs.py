"""Jobs: reading one, and recording their lifecycle."""
from peewee import fn

from .. import statuses
from ..models import Job, utcnow
from ..schemas import JOB_KEYS


class JobNotFound(LookupError):
    """No job has this id."""


class InvalidTransition(Exception):
    """The job's current status does not allow the requested move."""

    def __init__(self, current_status):
        super().__init__(current_status)
        self.current_status = current_status


JOB_FIELDS = tuple(getattr(Job, key) for key in JOB_KEYS)


def as_dicts(rows):
    """Job objects from rows of JOB_FIELDS."""
    return [dict(zip(JOB_KEYS, row, strict=True)) for row in rows]


def get_job(job_id):
    """The job with this id, or None."""
    rows = Job.select(*JOB_FIELDS).where(Job.job_id == job_id).tuples()
    found = as_dicts(rows)
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
