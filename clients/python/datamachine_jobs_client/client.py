"""JobsClient: every route of the datamachine-jobs API over one keep-alive session.

Calls that are safe to repeat (reads, replacing the retention rules, heartbeats, cancelling an
operation) and the writes the service de-duplicates by Idempotency-Key (each sent with a fresh
key, the same on every attempt) are retried with exponential backoff on connection errors,
timeouts and 503 (after its Retry-After): a retried create_job never records the job twice.
Every error answer raises JobsAPIError with the service's envelope.
"""
import random
import time
import uuid

import requests

from .errors import JobsAPIError
from .running import RunningJob

API_PATH = '/wp-json/datamachine/v1'
RETRIED_ERRORS = (requests.ConnectionError, requests.Timeout)
UNAVAILABLE = 503
MAX_WAIT = 30.0  # seconds: the longest pause between two attempts, whatever Retry-After says
FINAL_OPERATION_STATES = ('completed', 'failed', 'cancelled')


class JobsClient:
    """A client of one service; use it in a `with` block, or close() it."""

    def __init__(self, base_url, username, app_password, timeout=10.0, retries=3, backoff=0.5):
        base_url = base_url.rstrip('/')
        self.base = base_url if base_url.endswith(API_PATH) else base_url + API_PATH
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.session = requests.Session()
        self.session.auth = (username, app_password)
        self.session.headers['Accept'] = 'application/json'

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # Jobs

    def list_jobs(self, **params):
        """One page of GET /jobs (filters, orderby, order, per_page, offset or cursor,
        _fields, context): the answer's body."""
        return self._call('GET', '/jobs', params=params)

    def iter_jobs(self, per_page=100, **params):
        """Every job matching the filters, following the pages' cursors: while jobs are added
        or removed, none is repeated and none that stays is skipped."""
        params = {**params, 'per_page': per_page}
        while True:
            page = self.list_jobs(**params)
            yield from page['data']
            if not page['next_cursor']:
                return
            params['cursor'] = page['next_cursor']

    def get_job(self, job_id, context=None):
        """One job; context='edit' adds its lease, attempts and retry_of."""
        return self._call('GET', f'/jobs/{job_id}', params=_given(context=context))['data']

    def summarize_jobs(self, **params):
        """Counts by status, success rate and durations of the matching jobs (`group_by` for
        groups, `stuck=True` for the stuck ones): the answer's `data`."""
        return self._call('GET', '/jobs/summary', params=params)['data']

    def export_jobs(self, format='ndjson', **params):
        """Every matching job, streamed: yields the answer's lines (NDJSON objects or CSV rows
        as text, the CSV header first)."""
        with self.session.get(self.base + '/jobs/export', params={'format': format, **params},
                              stream=True, timeout=self.timeout) as response:
            if response.status_code >= 400:
                _raise(response)
            yield from response.iter_lines(decode_unicode=True)

    def create_job(self, pipeline_id, flow_id):
        """Record a new pending job; return it."""
        return self._call('POST', '/jobs', keyed=True, json={
            'pipeline_id': pipeline_id, 'flow_id': flow_id})['data']

    def update_job(self, job_id, status, error_message=None):
        """Move a job to `status`; return it. 409 `invalid_transition` if it may not move."""
        return self._call('PATCH', f'/jobs/{job_id}', keyed=True, json={
            'status': status, **_given(error_message=error_message)})['data']

    def claim_job(self, job_id, runner=None):
        """Move a pending job to processing, taking its lease (with an optional runner label);
        of runners racing for it exactly one succeeds, the others get 409."""
        return self._call('PATCH', f'/jobs/{job_id}', keyed=True, json={
            'status': 'processing', **_given(runner=runner)})['data']

    def heartbeat(self, job_id, runner=None):
        """Renew the lease of a job this runner claimed; 409 once it is no longer its own."""
        return self._call('POST', f'/jobs/{job_id}/heartbeat', safe=True,
                          json=_given(runner=runner))['data']

    def running(self, job_id, runner=None, interval=60.0):
        """A context manager that claims the job, heartbeats it every `interval` seconds in a
        background thread, and finishes it: failed with the exception's message if the block
        raises, else completed (unless the block called `finish` itself)."""
        return RunningJob(self, job_id, runner, interval)

    def retry_job(self, job_id, force=False):
        """A new pending job retrying a finished one (`force` for an unfinished one)."""
        return self._call('POST', f'/jobs/{job_id}/retry', keyed=True,
                          json=_given(force=force or None))['data']

    def delete_job(self, job_id, cleanup_processed=False):
        """Delete one job (and its processed items with cleanup_processed); the answer's body."""
        return self._call('DELETE', f'/jobs/{job_id}',
                          json={'cleanup_processed': cleanup_processed})

    def clear_jobs(self, type, cleanup_processed=False, older_than=None, flow_id=None,
                   pipeline_id=None, dry_run=False, respond_async=False):
        """Delete all or the failed jobs, optionally by age and scope: the answer's body with
        the counts (a Cleared), or with dry_run what would go (a ClearPreview). With
        respond_async the service answers at once with the operation doing it (see
        wait_for_operation)."""
        return self._call('DELETE', '/jobs', keyed=True, respond_async=respond_async, json={
            'type': type, 'cleanup_processed': cleanup_processed, 'dry_run': dry_run,
            **_given(older_than=older_than, flow_id=flow_id, pipeline_id=pipeline_id)})

    def recover_stuck(self, action, timeout=None, pending_timeout=None, flow_id=None,
                      pipeline_id=None, limit=None, dry_run=False):
        """Fail or requeue the stuck jobs (or list them with dry_run); the answer's body."""
        return self._call('POST', '/jobs/recover-stuck', keyed=True, json={
            'action': action, 'dry_run': dry_run, **_given(
                timeout=timeout, pending_timeout=pending_timeout, flow_id=flow_id,
                pipeline_id=pipeline_id, limit=limit)})

    # Flows, retention, audit, operations

    def flow_health(self, **params):
        """Per flow health in a window (`window`, `pipeline_id`, `problems`, ...): the body."""
        return self._call('GET', '/flows/health', params=params)

    def get_retention(self):
        """The retention rules (`data`) and the last run (`last_run`)."""
        return self._call('GET', '/retention')

    def set_retention(self, jobs=None, keep_per_flow=0, processed_items=None):
        """Replace every retention rule; return them."""
        return self._call('PUT', '/retention', json={
            'jobs': jobs or {}, 'keep_per_flow': keep_per_flow,
            'processed_items': processed_items})['data']

    def preview_retention(self):
        """What a retention run would delete now, per rule."""
        return self._call('GET', '/retention/preview')

    def run_retention(self, dry_run=False, respond_async=False):
        """Apply the retention rules now (or only count, with dry_run)."""
        return self._call('POST', '/retention/run', keyed=True, respond_async=respond_async,
                          json={'dry_run': dry_run})

    def list_audit(self, **params):
        """One page of audit records, newest first (action, username, per_page, offset)."""
        return self._call('GET', '/audit', params=params)

    def list_operations(self, **params):
        """One page of the operations asked with respond_async, newest first."""
        return self._call('GET', '/operations', params=params)

    def get_operation(self, operation_id):
        return self._call('GET', f'/operations/{operation_id}')['data']

    def cancel_operation(self, operation_id):
        """Ask an operation to stop after its current batch; return it."""
        return self._call('DELETE', f'/operations/{operation_id}', safe=True)['data']

    def wait_for_operation(self, operation, poll=1.0, timeout=None):
        """Follow an operation (or the answer that queued it) until it ends; return it."""
        operation_id = operation['data']['id'] if 'data' in operation else operation['id']
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            current = self.get_operation(operation_id)
            if current['state'] in FINAL_OPERATION_STATES:
                return current
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f'operation {operation_id} still {current["state"]}')
            time.sleep(poll)

    # Processed items

    def list_processed_items(self, **params):
        """One page: the answer's body (`items`, `total`, `page`, `per_page`)."""
        return self._call('GET', '/processed-items', params=params)

    def find_processed(self, flow_step_id, source_type, item_identifier):
        """The record of an item, or None if it was not processed."""
        return self._call('GET', '/processed-items/check', params={
            'flow_step_id': flow_step_id, 'source_type': source_type,
            'item_identifier': item_identifier})['data']

    def is_processed(self, flow_step_id, source_type, item_identifier):
        return self.find_processed(flow_step_id, source_type, item_identifier) is not None

    def record_processed(self, job_id, flow_step_id, source_type, item_identifier):
        """Record one item; 409 `already_processed` (with `data['existing']`) if it was."""
        return self._call('POST', f'/jobs/{job_id}/processed-items', keyed=True, json={
            'flow_step_id': flow_step_id, 'source_type': source_type,
            'item_identifier': item_identifier})['data']

    def record_processed_batch(self, job_id, items):
        """Record up to 1000 items (dicts of the three fields); repeats are skipped."""
        return self._call('POST', f'/jobs/{job_id}/processed-items', keyed=True,
                          json={'items': list(items)})

    def delete_processed_item(self, item_id):
        return self._call('DELETE', f'/processed-items/{item_id}')

    def clear_processed_items(self, clear_type, target_id, respond_async=False):
        """Delete every record of a pipeline or a flow; the answer's body with the count."""
        return self._call('DELETE', '/processed-items', keyed=True, respond_async=respond_async,
                          json={'clear_type': clear_type, 'target_id': target_id})

    # One call

    def _call(self, method, path, params=None, json=None, keyed=False, safe=False,
              respond_async=False):
        """Send one request, retrying it when that cannot do its work twice: a read (`safe`
        too), or a write with its Idempotency-Key (`keyed`)."""
        headers = {}
        if keyed:
            headers['Idempotency-Key'] = uuid.uuid4().hex
        if respond_async:
            headers['Prefer'] = 'respond-async'
        repeatable = keyed or safe or method in ('GET', 'PUT')
        for attempt in range(self.retries + 1):
            last = attempt == self.retries or not repeatable
            try:
                response = self.session.request(method, self.base + path, params=params,
                                                 json=json, headers=headers, timeout=self.timeout)
            except RETRIED_ERRORS:
                if last:
                    raise
                self._pause(attempt)
                continue
            if not last and _worth_another_try(response):
                self._pause(attempt, response.headers.get('Retry-After'))
                continue
            if response.status_code >= 400:
                _raise(response)
            return _body(response)

    def _pause(self, attempt, retry_after=None):
        wait = self.backoff * 2 ** attempt * (0.5 + random.random() / 2)
        if retry_after and retry_after.isdigit():
            wait = int(retry_after)
        time.sleep(min(wait, MAX_WAIT))


def _worth_another_try(response):
    """503 (the database is away), or the request with this key is still running."""
    if response.status_code == UNAVAILABLE:
        return True
    return response.status_code == 409 and 'Retry-After' in response.headers


def _body(response):
    try:
        return response.json()
    except ValueError:
        raise JobsAPIError(response.status_code, 'invalid_response',
                           response.text[:200]) from None


def _raise(response):
    body = _body(response)
    raise JobsAPIError(response.status_code, body.get('code'), body.get('message'),
                       body.get('data'))


def _given(**values):
    """The parameters that were given (not None)."""
    return {name: value for name, value in values.items() if value is not None}
