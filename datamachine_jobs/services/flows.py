"""Which flows are failing: per flow, its runs and failures in a window of completion times, and
from its whole history how many failures followed its last success, when it last succeeded and
failed, and its newest error. Exact, from the job rows through their indexes, at a cost that
follows the window and the number of flows, not their history:
- one statement reads the window's jobs, grouped by flow, and per flow the newest job of each
  outcome (one step down the (flow_id, base_status, job_id) index each);
- one reads those newest jobs by id, for their times and the newest error;
- a flow whose newest outcome is a failure counts its failures since its last success, a range
  of the same index.
"""
from .. import statuses
from ..db import database
from ..models import timestamp_text

SUCCESSES = sorted(statuses.OUTCOMES - {statuses.FAILED})
OUTCOMES = sorted(statuses.OUTCOMES)
CHUNK = 500  # ids per IN list


def health(since, pipeline_id=None):
    """[{flow_id, pipeline_id, runs, failures, success_rate, consecutive_failures,
    last_success_at, last_failure_at, last_error}] for the flows with jobs that ran to an outcome
    (anything final but cancelled) completed at or after `since`, by flow id."""
    rows = _window(since, pipeline_id)
    newest = _jobs([job_id for row in rows for job_id in row[4:] if job_id])
    found = []
    for flow_id, flow_pipeline, failures, runs, *newest_ids in sorted(rows):
        success = max(newest_ids[:-1], key=lambda job_id: job_id or 0)
        failure = newest_ids[-1]
        found.append({
            'flow_id': flow_id, 'pipeline_id': flow_pipeline, 'runs': int(runs),
            'failures': int(failures), 'success_rate': round(1 - int(failures) / int(runs), 4),
            'consecutive_failures': _failures_after(flow_id, success or 0)
            if failure and failure > (success or 0) else 0,
            'last_success_at': timestamp_text(newest[success][0]) if success else None,
            'last_failure_at': timestamp_text(newest[failure][0]) if failure else None,
            'last_error': newest[failure][1] if failure else None})
    return found


def _window(since, pipeline_id):
    """(flow_id, pipeline_id, failures, runs, newest id of each success status..., newest failed
    id) per flow with outcomes in the window."""
    mark = database.param
    newest = ', '.join(
        f'(SELECT MAX(n.job_id) FROM datamachine_jobs n WHERE n.flow_id = w.flow_id AND '
        f'n.base_status = {mark})' for _ in (*SUCCESSES, statuses.FAILED))
    scope, params = '', [since, *OUTCOMES]
    if pipeline_id is not None:
        scope, params = f' AND w.pipeline_id = {mark}', [*params, pipeline_id]
    return database.execute_sql(
        f'SELECT w.flow_id, w.pipeline_id, '
        f'SUM(CASE WHEN w.base_status = {mark} THEN 1 ELSE 0 END), COUNT(*), {newest} '
        f'FROM datamachine_jobs w WHERE w.completed_at >= {mark} AND w.base_status IN '
        f'({", ".join([mark] * len(OUTCOMES))}){scope} GROUP BY w.flow_id, w.pipeline_id',
        [statuses.FAILED, *SUCCESSES, statuses.FAILED, *params]).fetchall()


def _jobs(ids):
    """{job_id: (completed_at, error_message)} of these jobs."""
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found.update((job_id, (completed_at, error)) for job_id, completed_at, error in
                     database.execute_sql(
                         'SELECT job_id, completed_at, error_message FROM datamachine_jobs '
                         f'WHERE job_id IN ({", ".join([database.param] * len(chunk))})',
                         chunk).fetchall())
    return found


def _failures_after(flow_id, job_id):
    """How many failed jobs the flow has after this one."""
    mark = database.param
    return int(database.execute_sql(
        f'SELECT COUNT(*) FROM datamachine_jobs WHERE flow_id = {mark} AND '
        f'base_status = {mark} AND job_id > {mark}',
        (flow_id, statuses.FAILED, job_id)).fetchone()[0])


def failing(flows, min_consecutive_failures, min_success_rate):
    """The flows with at least `min_consecutive_failures` failures since their last success, or
    a success rate under `min_success_rate`."""
    return [flow for flow in flows if flow['consecutive_failures'] >= min_consecutive_failures
            or flow['success_rate'] < min_success_rate]
