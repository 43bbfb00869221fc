"""Which flows are failing: per flow, its runs and failures in a window of completion times, and
from its whole history how many failures followed its last success, when it last succeeded and
failed, and its newest error. Exact, from the job rows through their indexes, at a cost that
follows the window and the number of flows, not their history:
- one statement reads the window's jobs, grouped by flow, from the (base_status, completed_at,
  job_id, flow_id, pipeline_id) index alone (migration 0014);
- one finds per flow the newest job of each outcome (one step down the (flow_id, base_status,
  job_id) index each), and one reads those jobs by id, for their times and the newest error;
- a flow whose newest outcome is a failure counts its failures since its last success, a range
  of the same index.
"""
from .. import statuses
from ..db import database
from ..models import timestamp_text
from . import swap
from .listing import ORDERED_INDEXES

SUCCESSES = sorted(statuses.OUTCOMES - {statuses.FAILED})
OUTCOMES = sorted(statuses.OUTCOMES)
WINDOW_INDEX = ORDERED_INDEXES[('base_status', 'completed_at', 'job_id')]
CHUNK = 500  # ids per IN list
NEWEST_CHUNK = 100  # flows per statement of newest ids: four columns each


def health(since, pipeline_id=None):
    """[{flow_id, pipeline_id, runs, failures, success_rate, consecutive_failures,
    last_success_at, last_failure_at, last_error}] for the flows with jobs that ran to an outcome
    (anything final but cancelled) completed at or after `since`, by flow id."""
    rows = sorted(database.execute_sql(*window_sql(since, pipeline_id)).fetchall())
    newest = _newest_ids([row[0] for row in rows])
    jobs = _jobs([job_id for ids in newest.values() for job_id in ids if job_id])
    found = []
    for flow_id, flow_pipeline, failures, runs in rows:
        success = max(newest[flow_id][:-1], key=lambda job_id: job_id or 0)
        failure = newest[flow_id][-1]
        found.append({
            'flow_id': flow_id, 'pipeline_id': flow_pipeline, 'runs': int(runs),
            'failures': int(failures), 'success_rate': round(1 - int(failures) / int(runs), 4),
            'consecutive_failures': _failures_after(flow_id, success or 0)
            if failure and failure > (success or 0) else 0,
            'last_success_at': timestamp_text(jobs[success][0]) if success else None,
            'last_failure_at': timestamp_text(jobs[failure][0]) if failure else None,
            'last_error': jobs[failure][1] if failure else None})
    return found


def window_sql(since, pipeline_id=None):
    """SQL and parameters of (flow_id, pipeline_id, failures, runs) per flow with outcomes in
    the window. Read through the window's index whatever the planner thinks: with a pipeline,
    SQLite would rather read all of the pipeline's outcomes, a history much longer than the
    window."""
    mark = database.param
    scope, params = '', [since, *OUTCOMES]
    if pipeline_id is not None:
        scope, params = f' AND pipeline_id = {mark}', [*params, pipeline_id]
    return (
        f'SELECT flow_id, pipeline_id, SUM(CASE WHEN base_status = {mark} THEN 1 ELSE 0 END), '
        f'COUNT(*) FROM datamachine_jobs{swap.index_hint(WINDOW_INDEX)} '
        f'WHERE completed_at >= {mark} AND base_status IN ({", ".join([mark] * len(OUTCOMES))})'
        f'{scope} GROUP BY flow_id, pipeline_id',
        [statuses.FAILED, *params])


def _newest_ids(flow_ids):
    """{flow_id: (newest id of each success status..., newest failed id)}, None where there is
    none: a MAX per (flow, status) with both given, which each database answers from the end of
    the (flow_id, base_status, job_id) index (a MAX over several flows or statuses at once would
    read their entries)."""
    mark, kinds = database.param, [*SUCCESSES, statuses.FAILED]
    newest = {}
    for start in range(0, len(flow_ids), NEWEST_CHUNK):
        chunk = flow_ids[start:start + NEWEST_CHUNK]
        one = (f'(SELECT MAX(job_id) FROM datamachine_jobs WHERE flow_id = {mark} AND '
               f'base_status = {mark})')
        row = database.execute_sql(
            f'SELECT {", ".join([one] * (len(chunk) * len(kinds)))}',
            [value for flow_id in chunk for kind in kinds for value in (flow_id, kind)]
        ).fetchone()
        for index, flow_id in enumerate(chunk):
            newest[flow_id] = row[index * len(kinds):(index + 1) * len(kinds)]
    return newest


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
