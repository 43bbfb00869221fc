"""Which flows are failing: per flow, its runs and failures in a window of completion times, and
from its whole history how many failures followed its last success, when it last succeeded and
failed, and its newest error. Exact, from the job rows through their indexes: one range of the
completed_at index for the window, then a few single-row index lookups per flow."""
from .. import statuses
from ..db import database
from ..models import timestamp_text

SUCCESSES = sorted(statuses.OUTCOMES - {statuses.FAILED})
OUTCOMES = sorted(statuses.OUTCOMES)


def health(since, pipeline_id=None):
    """[{flow_id, pipeline_id, runs, failures, success_rate, consecutive_failures,
    last_success_at, last_failure_at, last_error}] for the flows with jobs that ran to an outcome
    (anything final but cancelled) completed at or after `since`, by flow id."""
    mark = database.param
    scope, params = '', [since, *OUTCOMES]
    if pipeline_id is not None:
        scope, params = f' AND pipeline_id = {mark}', [*params, pipeline_id]
    rows = database.execute_sql(
        f'SELECT flow_id, pipeline_id, SUM(CASE WHEN base_status = {mark} THEN 1 ELSE 0 END), '
        f'COUNT(*) FROM datamachine_jobs WHERE completed_at >= {mark} AND base_status IN '
        f'({", ".join([mark] * len(OUTCOMES))}){scope} GROUP BY flow_id, pipeline_id',
        [statuses.FAILED, *params]).fetchall()
    return [{'flow_id': flow_id, 'pipeline_id': flow_pipeline, 'runs': int(runs),
             'failures': int(failures), 'success_rate': round(1 - int(failures) / int(runs), 4),
             **_history(flow_id)}
            for flow_id, flow_pipeline, failures, runs in sorted(rows)]


def _history(flow_id):
    success = _newest(flow_id, SUCCESSES)
    failure = _newest(flow_id, [statuses.FAILED])
    after = success[0] if success else 0
    consecutive = database.execute_sql(
        f'SELECT COUNT(*) FROM datamachine_jobs WHERE flow_id = {database.param} AND '
        f'base_status = {database.param} AND job_id > {database.param}',
        (flow_id, statuses.FAILED, after)).fetchone()[0]
    return {'consecutive_failures': int(consecutive),
            'last_success_at': timestamp_text(success[1]) if success else None,
            'last_failure_at': timestamp_text(failure[1]) if failure else None,
            'last_error': failure[2] if failure else None}


def _newest(flow_id, base_statuses):
    """(job_id, completed_at, error_message) of the flow's newest job in these base statuses."""
    mark = database.param
    return database.execute_sql(
        f'SELECT job_id, completed_at, error_message FROM datamachine_jobs WHERE flow_id = {mark} '
        f'AND base_status IN ({", ".join([mark] * len(base_statuses))}) '
        f'ORDER BY job_id DESC LIMIT 1', (flow_id, *base_statuses)).fetchone()


def failing(flows, min_consecutive_failures, min_success_rate):
    """The flows with at least `min_consecutive_failures` failures since their last success, or
    a success rate under `min_success_rate`."""
    return [flow for flow in flows if flow['consecutive_failures'] >= min_consecutive_failures
            or flow['success_rate'] < min_success_rate]
