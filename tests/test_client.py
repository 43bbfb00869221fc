"""JobsClient against the live app over real HTTP (a threaded werkzeug server)."""

import pytest
from support import create_account, insert_job

from datamachine_jobs.client import JobsAPIError, JobsClient


@pytest.fixture
def api(app, live_url):
    with JobsClient(live_url, 'runner', create_account(app, 'runner', 'administrator')) as client:
        yield client


def test_runner_loop(api):
    job = api.create_job(pipeline_id=5, flow_id=42)
    assert job['status'] == 'pending'
    assert api.claim_job(job['job_id'])['status'] == 'processing'
    step = 'fetch-step_42'
    fresh = [i for i in ('https://a', 'https://b') if not api.is_processed(step, 'rss', i)]
    assert fresh == ['https://a', 'https://b']
    batch = api.record_processed_batch(job['job_id'], [
        {'flow_step_id': step, 'source_type': 'rss', 'item_identifier': i} for i in fresh])
    assert (batch['created'], batch['skipped']) == (2, 0)
    done = api.update_job(job['job_id'], 'completed')
    assert done['completed_at'] is not None
    assert api.is_processed(step, 'rss', 'https://a')
    assert api.get_job(job['job_id']) == done


def test_errors_carry_the_envelope(api, app, live_url):
    job = api.create_job(pipeline_id=1, flow_id=1)
    api.claim_job(job['job_id'])
    with pytest.raises(JobsAPIError) as raised:
        api.claim_job(job['job_id'])
    assert (raised.value.status, raised.value.code) == (409, 'invalid_transition')
    assert raised.value.data == {'status': 409, 'current_status': 'processing'}

    record = api.record_processed(job['job_id'], 's_1', 'rss', 'x')
    with pytest.raises(JobsAPIError) as raised:
        api.record_processed(job['job_id'], 's_1', 'rss', 'x')
    assert raised.value.code == 'already_processed' and raised.value.data['existing'] == record

    with pytest.raises(JobsAPIError) as raised:
        api.get_job(999999)
    assert (raised.value.status, raised.value.code, raised.value.message) == (
        404, 'job_not_found', 'Job not found.')

    with JobsClient(live_url + '/wp-json/datamachine/v1/', 'runner', 'x' * 24) as stranger:
        with pytest.raises(JobsAPIError) as raised:
            stranger.list_jobs()
    assert (raised.value.status, raised.value.code) == (401, 'invalid_credentials')


def test_listing_paging_and_clearing(api):
    ids = [insert_job('failed' if n % 2 else 'completed', flow_id=42) for n in range(7)]
    page = api.list_jobs(status='failed', per_page=2)
    assert page['total'] == 3 and len(page['data']) == 2
    assert [j['job_id'] for j in api.iter_jobs(per_page=2, order='ASC')] == ids
    for job_id in ids[:2]:
        api.record_processed(job_id, 'step_42', 'rss', f'item-{job_id}')
    assert api.list_processed_items(flow_id=42)['total'] == 2
    cleared = api.clear_jobs('failed', cleanup_processed=True)
    assert (cleared['jobs_deleted'], cleared['processed_items_cleaned']) == (3, 1)
    remaining = api.list_processed_items()['items']
    assert [r['job_id'] for r in remaining] == [ids[0]]
    assert api.delete_processed_item(remaining[0]['id'])['success'] is True
    api.record_processed(ids[0], 'step_42', 'rss', 'again')
    assert api.clear_processed_items('flow', 42)['items_deleted'] == 1
    assert api.find_processed('step_42', 'rss', 'again') is None


def test_running_claims_heartbeats_and_completes(api):
    job_id = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with api.running(job_id, runner='w-1', interval=0.05) as held:
        assert held.job['status'] == 'processing'
        first = api.get_job(job_id, context='edit')['heartbeat_at']
        held._beats.join(0.3)  # some beats go by
    job = api.get_job(job_id, context='edit')
    assert (job['status'], job['runner'], job['claimed_by']) == ('completed', 'w-1', 'tests')
    assert job['heartbeat_at'] >= first and held.lease_lost is None


def test_running_fails_the_job_with_the_exception(api):
    job_id = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with pytest.raises(ValueError), api.running(job_id, interval=60):
        raise ValueError('feed answered 500')
    job = api.get_job(job_id)
    assert (job['status'], job['error_message']) == ('failed', 'ValueError: feed answered 500')
    other = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with api.running(other) as held:
        held.finish('completed_no_items')
    assert api.get_job(other)['status'] == 'completed_no_items'


def test_the_new_routes_have_their_methods(api):
    first = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    api.update_job(first, 'failed', 'boom')
    retry = api.retry_job(first)
    assert retry['retry_of'] == first and retry['status'] == 'pending'
    with pytest.raises(JobsAPIError) as raised:
        api.retry_job(retry['job_id'])
    assert raised.value.code == 'job_not_final'
    assert api.summarize_jobs()['total'] == 2
    assert api.recover_stuck('fail', dry_run=True)['jobs_matched'] == 0
    assert api.flow_health()['data'][0]['last_error'] == 'boom'
    assert api.set_retention(jobs={'failed': '30d'}) == {
        'jobs': {'failed': 2592000}, 'keep_per_flow': 0, 'processed_items': None}
    assert api.preview_retention()['jobs_matched'] == 0
    assert api.run_retention()['jobs_deleted'] == 0
    assert api.get_retention()['last_run']['action'] == 'retention.run'
    lines = list(api.export_jobs(format='csv'))
    assert lines[0].startswith('job_id,') and len(lines) == 3
    preview = api.clear_jobs('failed', dry_run=True, flow_id=42, older_than='1h')
    assert preview['dry_run'] is True and preview['jobs_matched'] == 0
    assert api.delete_job(first)['jobs_deleted'] == 1
    assert api.list_audit(action='jobs.delete')['total'] == 1
