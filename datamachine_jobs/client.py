"""A Python client for the jobs API, for workflow runners and scripts.

    from datamachine_jobs.client import JobsClient, JobsAPIError

    with JobsClient('https://example.com', 'ops', 'abcd efgh ijkl mnop qrst uvwx') as api:
        job = api.create_job(pipeline_id=5, flow_id=42)
        with api.running(job['job_id'], runner='worker-3'):  # claim, heartbeat, finish
            do_the_work()                        # raises: the job ends failed with the message

Needs `requests` (`pip install 'datamachine-jobs[client]'`). Every error answer raises
JobsAPIError carrying the service's envelope: status, code, message and data.
"""
import threading

import requests

API_PATH = '/wp-json/datamachine/v1'


class JobsAPIError(Exception):
    """An error answer from the service."""

    def __init__(self, status, code, message, data=None):
        super().__init__(f'{status} {code}: {message}')
        self.status, self.code, self.message = status, code, message
        self.data = data or {}


class JobsClient:
    """Calls every route of the service over one keep-alive session."""

    def __init__(self, base_url, username, app_password, timeout=10.0):
        base_url = base_url.rstrip('/')
        self.base = base_url if base_url.endswith(API_PATH) else base_url + API_PATH
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (username, app_password)
        self.session.headers['Accept'] = 'application/json'

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method, path, params=None, json=None):
        response = self.session.request(method, self.base + path, params=params, json=json,
                                        timeout=self.timeout)
        try:
            body = response.json()
        except ValueError:
            raise JobsAPIError(response.status_code, 'invalid_response',
                               response.text[:200]) from None
        if response.status_code >= 400:
            self._raise(response, body)
        return body

    @staticmethod
    def _raise(response, body):
        raise JobsAPIError(response.status_code, body.get('code'), body.get('message'),
                           body.get('data'))

    # Jobs

    def list_jobs(self, **params):
        """One page: the answer's body (`data`, `total`, `per_page`, `offset`)."""
        return self._call('GET', '/jobs', params=params)

    def iter_jobs(self, per_page=100, **params):
        """Every job matching the filters, page after page."""
        offset = 0
        while True:
            page = self.list_jobs(per_page=per_page, offset=offset, **params)['data']
            yield from page
            if len(page) < per_page:
                return
            offset += per_page

    def get_job(self, job_id, context=None):
        """One job; context='edit' adds its lease, attempts and retry_of."""
        return self._call('GET', f'/jobs/{job_id}', params=_given(context=context))['data']

    def summarize_jobs(self, **params):
        """Counts by status, success rate and durations (`group_by` for groups): `data`."""
        return self._call('GET', '/jobs/summary', params=params)['data']

    def export_jobs(self, format='ndjson', **params):
        """Every matching job, streamed: yields the answer's lines (NDJSON objects or CSV rows
        as text, the CSV header first)."""
        with self.session.get(self.base + '/jobs/export', params={'format': format, **params},
                              stream=True, timeout=self.timeout) as response:
            if response.status_code >= 400:
                self._raise(response, response.json())
            yield from response.iter_lines(decode_unicode=True)

    def create_job(self, pipeline_id, flow_id):
        """Record a new pending job; return it."""
        return self._call('POST', '/jobs', json={'pipeline_id': pipeline_id,
                                                 'flow_id': flow_id})['data']

    def update_job(self, job_id, status, error_message=None):
        """Move a job to `status`; return it. 409 `invalid_transition` if it may not move."""
        body = {'status': status}
        if error_message is not None:
            body['error_message'] = error_message
        return self._call('PATCH', f'/jobs/{job_id}', json=body)['data']

    def claim_job(self, job_id, runner=None):
        """Move a pending job to processing, taking its lease (with an optional runner label);
        of runners racing for it exactly one succeeds, the others get 409."""
        return self._call('PATCH', f'/jobs/{job_id}', json={'status': 'processing',
                                                            **_given(runner=runner)})['data']

    def heartbeat(self, job_id, runner=None):
        """Renew the lease of a job this runner claimed; 409 once it is no longer its own."""
        return self._call('POST', f'/jobs/{job_id}/heartbeat', json=_given(runner=runner))['data']

    def running(self, job_id, runner=None, interval=60.0):
        """A context manager that claims the job, heartbeats it every `interval` seconds in a
        background thread, and finishes it: failed with the exception's message if the block
        raises, else completed (unless the block called `finish` itself)."""
        return RunningJob(self, job_id, runner, interval)

    def retry_job(self, job_id, force=False):
        """A new pending job retrying a finished one (`force` for an unfinished one)."""
        return self._call('POST', f'/jobs/{job_id}/retry', json=_given(force=force or None))[
            'data']

    def delete_job(self, job_id, cleanup_processed=False):
        """Delete one job (and its processed items with cleanup_processed); the answer's body."""
        return self._call('DELETE', f'/jobs/{job_id}',
                          json={'cleanup_processed': cleanup_processed})

    def clear_jobs(self, type, cleanup_processed=False, older_than=None, flow_id=None,
                   pipeline_id=None, dry_run=False):
        """Delete all or the failed jobs, optionally by age and scope; with dry_run only count
        them. The answer's body with the counts."""
        return self._call('DELETE', '/jobs', json={
            'type': type, 'cleanup_processed': cleanup_processed, 'dry_run': dry_run,
            **_given(older_than=older_than, flow_id=flow_id, pipeline_id=pipeline_id)})

    def recover_stuck(self, action, timeout=None, pending_timeout=None, flow_id=None,
                      pipeline_id=None, limit=None, dry_run=False):
        """Fail or requeue the stuck jobs (or list them with dry_run); the answer's body."""
        return self._call('POST', '/jobs/recover-stuck', json={
            'action': action, 'dry_run': dry_run, **_given(
                timeout=timeout, pending_timeout=pending_timeout, flow_id=flow_id,
                pipeline_id=pipeline_id, limit=limit)})

    # Flows, retention, audit

    def flow_health(self, **params):
        """Per flow health in a window (`window`, `pipeline_id`, `problems`, ...): the body."""
        return self._call('GET', '/flows/health', params=params)

    def get_retention(self):
        """The retention rules (`data`) and the last run (`last_run`)."""
        return self._call('GET', '/retention')

    def set_retention(self, jobs=None, keep_per_flow=0, processed_items=None):
        """Replace every retention rule; returns them."""
        return self._call('PUT', '/retention', json={
            'jobs': jobs or {}, 'keep_per_flow': keep_per_flow,
            'processed_items': processed_items})['data']

    def preview_retention(self):
        return self._call('GET', '/retention/preview')

    def run_retention(self, dry_run=False):
        return self._call('POST', '/retention/run', json={'dry_run': dry_run})

    def list_audit(self, **params):
        """One page of audit records, newest first: the answer's body."""
        return self._call('GET', '/audit', params=params)

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
        return self._call('POST', f'/jobs/{job_id}/processed-items', json={
            'flow_step_id': flow_step_id, 'source_type': source_type,
            'item_identifier': item_identifier})['data']

    def record_processed_batch(self, job_id, items):
        """Record up to 1000 items (dicts of the three fields); repeats are skipped."""
        return self._call('POST', f'/jobs/{job_id}/processed-items', json={'items': list(items)})

    def delete_processed_item(self, item_id):
        return self._call('DELETE', f'/processed-items/{item_id}')

    def clear_processed_items(self, clear_type, target_id):
        """Delete every record of a pipeline or a flow; the answer's body with the count."""
        return self._call('DELETE', '/processed-items', json={'clear_type': clear_type,
                                                              'target_id': target_id})


def _given(**values):
    """The parameters that were given (not None)."""
    return {name: value for name, value in values.items() if value is not None}


class RunningJob:
    """A job held by this runner for the length of a `with` block (JobsClient.running)."""

    def __init__(self, client, job_id, runner, interval):
        self.client, self.job_id, self.runner, self.interval = client, job_id, runner, interval
        self.job, self.finished, self.lease_lost = None, False, None
        self._stop = threading.Event()
        self._beats = threading.Thread(target=self._beat, daemon=True,
                                       name=f'heartbeat-{job_id}')

    def __enter__(self):
        self.job = self.client.claim_job(self.job_id, self.runner)
        self._beats.start()
        return self

    def _beat(self):
        while not self._stop.wait(self.interval):
            try:
                self.client.heartbeat(self.job_id, self.runner)
            except JobsAPIError as error:  # 409: recovered as stuck, or another runner's now
                self.lease_lost = error
                return
            except requests.RequestException:
                continue  # the next beat may get through; the lease outlasts a few misses

    def finish(self, status='completed', error_message=None):
        """End the job with this status now; the block's end then leaves it as it is."""
        self.job = self.client.update_job(self.job_id, status, error_message)
        self.finished = True
        return self.job

    def __exit__(self, kind, error, traceback):
        self._stop.set()
        self._beats.join()
        if not self.finished:
            if error is None:
                self.finish()
            else:
                self.finish('failed', f'{kind.__name__}: {error}'[:16000])
        return False
