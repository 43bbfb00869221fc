"""Jobs: reading one, and recording their lifecycle."""
from peewee import fn

from .. import statuses
from ..db import database, retried
from ..exceptions import InvalidTransition, JobNotFound, NotFinal
from ..models import Job, ProcessedItem, timestamp_text, utcnow
from ..vocabulary import ALL_JOB_KEYS, JOB_KEYS

# Selected as raw SQL: rows come back in the keys' order. COLUMNS make the public job object,
# EDIT_COLUMNS the one `context=edit` asks for.
COLUMNS = ', '.join(JOB_KEYS)
EDIT_COLUMNS = ', '.join(ALL_JOB_KEYS)
TIMES = ('started_at', 'completed_at', 'created_at', 'heartbeat_at')


def columns(edit=False):
    return EDIT_COLUMNS if edit else COLUMNS


def as_dicts(rows, edit=False):
    """Job objects from raw rows of columns(edit)."""
    if edit:
        return [_edit_object(row) for row in rows]
    return [{'job_id': job_id, 'flow_id': flow_id, 'pipeline_id': pipeline_id, 'status': status,
             'started_at': timestamp_text(started), 'completed_at': timestamp_text(completed),
             'error_message': error} for
            job_id, flow_id, pipeline_id, status, started, completed, error in rows]


def _edit_object(row):
    job = dict(zip(ALL_JOB_KEYS, row, strict=True))
    for key in TIMES:
        job[key] = timestamp_text(job[key])
    return job


def get_job(job_id, edit=False):
    """The job with this id, or None."""
    rows = database.execute_sql(
        f'SELECT {columns(edit)} FROM datamachine_jobs WHERE job_id = {database.param}',
        (job_id,))
    found = as_dicts(rows.fetchall(), edit)
    return found[0] if found else None


def require_job(job_id, edit=False):
    """The job with this id, or JobNotFound."""
    job = get_job(job_id, edit)
    if job is None:
        raise JobNotFound(job_id)
    return job


def create_job(pipeline_id, flow_id):
    """Record a new pending job; return it."""
    job_id = retried(Job.insert(pipeline_id=pipeline_id, flow_id=flow_id,
                                status=statuses.PENDING).execute)
    return require_job(job_id)


def update_job(job_id, status, error_message=None, claimed_by=None, runner=None):
    """Move a job to `status`, stamping started_at/completed_at; return the job.

    One conditional UPDATE decides, so of concurrent moves of one job exactly one wins and the
    others raise InvalidTransition (this is how a runner claims a pending job). A claim records
    its lease: who claimed the job (`claimed_by`), its `runner` label and a first heartbeat.
    """
    requested, status = status, statuses.canonical(status)
    base = statuses.base_status(status)
    now = utcnow()
    values = {Job.status: status}
    if base == statuses.PROCESSING:
        values.update({Job.started_at: now, Job.claimed_by: claimed_by, Job.runner: runner,
                       Job.heartbeat_at: now})
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


def retry_job(job_id, force=False):
    """Record a new pending job for the same pipeline and flow, linked to `job_id` by retry_of;
    return it (with the edit keys). Only a final job is retried unless `force`: a retry of a job
    still running would run the flow twice at once."""
    original = require_job(job_id)
    if not force and statuses.base_status(original['status']) not in statuses.FINAL_STATUSES:
        raise NotFinal(original['status'])
    new_id = retried(Job.insert(pipeline_id=original['pipeline_id'],
                                flow_id=original['flow_id'], status=statuses.PENDING,
                                retry_of=job_id).execute)
    return require_job(new_id, edit=True)


def delete_job(job_id, cleanup_processed=False, then=None):
    """Delete one job, and its processed items with `cleanup_processed`, in one transaction;
    `then(**rows)` runs inside it with the rows deleted. JobNotFound when there is no such job
    (nothing is deleted then)."""
    def work():
        with database.atomic():
            items = 0
            if cleanup_processed:
                items = ProcessedItem.delete().where(ProcessedItem.job_id == job_id).execute()
            if not Job.delete().where(Job.job_id == job_id).execute():
                raise JobNotFound(job_id)
            if then is not None:
                then(jobs=1, processed_items=items)
    retried(work)
