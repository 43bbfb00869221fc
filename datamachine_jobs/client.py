"""A Python client for the jobs API, for workflow runners and scripts.

    from datamachine_jobs.client import JobsClient, JobsAPIError

    with JobsClient('https://example.com', 'ops', 'abcd efgh ijkl mnop qrst uvwx') as api:
        job = api.create_job(pipeline_id=5, flow_id=42)
        api.claim_job(job['job_id'])             # JobsAPIError 409 if another runner won

Needs `requests` (`pip install 'datamachine-jobs[client]'`). Every error answer raises
JobsAPIError carrying the service's envelope: status, code, message and data.
"""
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
            raise JobsAPIError(response.status_code, body.get('code'), body.get('message'),
                               body.get('data'))
        return body

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

    def get_job(self, job_id):
        return self._call('GET', f'/jobs/{job_id}')['data']

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

    def claim_job(self, job_id):
        """Move a pending job to processing; of runners racing for it exactly one succeeds."""
        return self.update_job(job_id, 'processing')

    def clear_jobs(self, type, cleanup_processed=False):
        """Delete all or the failed jobs; the answer's body with the counts."""
        return self._call('DELETE', '/jobs', json={'type': type,
                                                   'cleanup_processed': cleanup_processed})

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
