"""Leases on claimed jobs: the claim and its heartbeats, which jobs count as stuck, and putting
stuck jobs right (failed, or back to pending) without touching one whose runner showed up."""
from datetime import UTC, datetime

from .. import statuses
from ..db import database, is_mysql, retried
from ..exceptions import JobNotFound, LeaseNotHeld
from ..models import time_before, timestamp_text, utcnow
from .jobs import get_job

STUCK_FAILURE = f'{statuses.FAILED}{statuses.SEPARATOR}stuck'
FAIL, REQUEUE = 'fail', 'requeue'
# When a processing job last showed it was alive: its heartbeat, else when it started (a writer
# that never heartbeats), else when it was recorded.
ALIVE_AT = 'COALESCE(heartbeat_at, started_at, created_at)'
CHUNK = 500  # jobs per UPDATE: three parameters each, far below SQLite's limit


def cutoffs(stuck_timeout, pending_timeout, now=None):
    """(processing, pending) cut-off times: a job last alive (or, pending, recorded) before them
    is stuck."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return tuple(time_before(now, seconds) for seconds in (stuck_timeout, pending_timeout))


def stuck_filter(filters, config):
    """The cut-offs the list's `stuck` filter needs, from the settings, when `filters` holds it
    (keyword arguments for listing)."""
    if 'stuck' not in filters:
        return {}
    return {'stuck_before': cutoffs(config.stuck_timeout, config.stuck_pending_timeout)}


def stuck_condition(processing_before, pending_before, requeue=False):
    """(SQL, parameters) true for a stuck job; with `requeue`, processing ones only (a pending
    job is where requeueing would put it). The leading base-status test lets the database read
    the unfinished jobs through its base_status index rather than every job."""
    mark = database.param
    processing = f'(base_status = {mark} AND {ALIVE_AT} < {mark})'
    if requeue:
        return processing, [statuses.PROCESSING, processing_before]
    return (f'(base_status IN ({mark}, {mark}) AND ({processing} OR '
            f'(base_status = {mark} AND created_at < {mark})))',
            [statuses.PROCESSING, statuses.PENDING, statuses.PROCESSING, processing_before,
             statuses.PENDING, pending_before])


def heartbeat(job_id, claimed_by, runner=None):
    """Renew the lease of a processing job; return the job (with its lease). A job claimed
    without a lease (by a direct writer) is adopted by its first heartbeat. LeaseNotHeld when
    the job is not processing or another runner holds it."""
    mark = database.param
    renewed = retried(lambda: database.execute_sql(
        # runner is set before claimed_by: MariaDB's later assignments see the earlier ones.
        f'UPDATE datamachine_jobs SET heartbeat_at = {mark}, '
        f'runner = CASE WHEN claimed_by IS NULL THEN {mark} ELSE runner END, '
        f'claimed_by = COALESCE(claimed_by, {mark}) '
        f'WHERE job_id = {mark} AND base_status = {mark} AND (claimed_by IS NULL OR '
        f'(claimed_by = {mark} AND (runner = {mark} OR (runner IS NULL AND {mark} IS NULL))))',
        (utcnow(), runner, claimed_by, job_id, statuses.PROCESSING, claimed_by, runner,
         runner)).rowcount)
    job = get_job(job_id, edit=True)
    if job is None:
        raise JobNotFound(job_id)
    # MariaDB counts changed rows, not matched ones: a second heartbeat within the same second
    # changes nothing, and is a renewal all the same when the lease is this runner's.
    holds = (statuses.base_status(job['status']) == statuses.PROCESSING
             and (job['claimed_by'], job['runner']) == (claimed_by, runner))
    if not (renewed or holds):
        raise LeaseNotHeld(job)
    return job


def recover_stuck(action, processing_before, pending_before, limit, dry_run=False,
                  pipeline_id=None, flow_id=None, then=None):
    """Fail or requeue up to `limit` stuck jobs, oldest id first; return what was (or, with
    `dry_run`, would be) touched: [{job_id, status, stuck_since}].

    The jobs are chosen and changed in one transaction that locks them (SQLite's write lock, or
    MariaDB's row locks taken by the choosing SELECT), so exactly the jobs still stuck when they
    change are touched: a heartbeat that lands first keeps its job, one that comes after finds
    it no longer processing. `then(jobs)` runs inside that transaction (the audit's count).
    """
    scope = (action, processing_before, pending_before, limit, pipeline_id, flow_id)
    if dry_run:
        return _choose(*scope)

    def work():
        with database.atomic():
            found = _choose(*scope, lock=True)
            if found:
                _change(action, found)
            if then is not None:
                then(found)
            return found
    return retried(work)


def _choose(action, processing_before, pending_before, limit, pipeline_id, flow_id, lock=False):
    mark = database.param
    condition, params = stuck_condition(processing_before, pending_before, action == REQUEUE)
    for column, value in (('pipeline_id', pipeline_id), ('flow_id', flow_id)):
        if value is not None:
            condition += f' AND {column} = {mark}'
            params.append(value)
    since = f'CASE WHEN base_status = {mark} THEN created_at ELSE {ALIVE_AT} END'
    locking = ' FOR UPDATE' if lock and is_mysql() else ''  # SQLite: the transaction's lock
    rows = database.execute_sql(
        f'SELECT job_id, status, {since} FROM datamachine_jobs WHERE {condition} '
        f'ORDER BY job_id LIMIT {mark}{locking}', [statuses.PENDING, *params, limit]).fetchall()
    return [{'job_id': job_id, 'status': status, 'stuck_since': timestamp_text(since)}
            for job_id, status, since in rows]


def _change(action, found):
    mark = database.param
    now = utcnow()
    for start in range(0, len(found), CHUNK):
        chunk = found[start:start + CHUNK]
        ids = ', '.join([mark] * len(chunk))
        if action == REQUEUE:
            database.execute_sql(
                f'UPDATE datamachine_jobs SET status = {mark}, started_at = NULL, '
                f'heartbeat_at = NULL, claimed_by = NULL, runner = NULL, '
                f'attempts = attempts + 1 WHERE job_id IN ({ids})',
                [statuses.PENDING, *(job['job_id'] for job in chunk)])
            continue
        messages = ' '.join([f'WHEN {mark} THEN {mark}'] * len(chunk))
        database.execute_sql(
            f'UPDATE datamachine_jobs SET status = {mark}, completed_at = {mark}, '
            f'started_at = COALESCE(started_at, {mark}), '
            f'error_message = CASE job_id {messages} END WHERE job_id IN ({ids})',
            [STUCK_FAILURE, now, now,
             *(value for job in chunk for value in (job['job_id'], _reason(job))),
             *(job['job_id'] for job in chunk)])


def _reason(job):
    if statuses.base_status(job['status']) == statuses.PENDING:
        return f"Stuck: pending since {job['stuck_since']} UTC, never claimed."
    return f"Stuck: processing with no heartbeat since {job['stuck_since']} UTC."
