"""Leases on claimed jobs: a claim records who holds the job, heartbeats renew it, jobs whose
runner went silent are listed as stuck and recovered (failed or requeued), and a runner that keeps
heartbeating never loses its job, even to a recovery racing its heartbeat."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from support import (
    API,
    CLIENT,
    basic,
    change_settings,
    create_account,
    insert_job,
    scrape,
    wait_for,
)

from datamachine_jobs import db
from datamachine_jobs.models import Job
from datamachine_jobs.vocabulary import JOB_KEYS

EDIT_KEYS = [*JOB_KEYS, 'created_at', 'claimed_by', 'runner', 'heartbeat_at', 'attempts',
             'retry_of']


def ago(**delta):
    """A stored time that long before now."""
    return (datetime.now(UTC) - timedelta(**delta)).strftime('%Y-%m-%d %H:%M:%S')


def set_job(job_id, **values):
    with db.database.connection_context():
        Job.update(values).where(Job.job_id == job_id).execute()


def edit_view(client, headers, job_id):
    response = client.get(f'{API}/jobs/{job_id}?context=edit', headers=headers)
    assert response.status_code == 200
    return response.get_json()['data']


def claim(client, headers, job_id, **extra):
    return client.patch(f'{API}/jobs/{job_id}', headers=headers,
                        json={'status': 'processing', **extra})


def new_job(client, headers):
    return client.post(f'{API}/jobs', headers=headers,
                       json={'pipeline_id': 5, 'flow_id': 42}).get_json()['data']['job_id']


def test_a_claim_records_its_lease_shown_with_context_edit(client, admin):
    job_id = new_job(client, admin)
    assert edit_view(client, admin, job_id)['attempts'] == 1
    response = claim(client, admin, job_id, runner='runner-7')
    assert response.status_code == 200
    assert list(response.get_json()['data']) == list(JOB_KEYS)  # the contract's object

    job = edit_view(client, admin, job_id)
    assert list(job) == EDIT_KEYS
    assert (job['claimed_by'], job['runner'], job['attempts'], job['retry_of']) == (
        'tests', 'runner-7', 1, None)
    assert job['heartbeat_at'] == job['started_at'] and job['created_at'] <= job['started_at']
    # `_fields` may name the edit keys without the context; the default view keeps the contract.
    named = client.get(f'{API}/jobs?_fields=job_id,runner', headers=admin).get_json()['data']
    assert named == [{'job_id': job_id, 'runner': 'runner-7'}]
    assert list(client.get(f'{API}/jobs/{job_id}', headers=admin).get_json()['data']) == list(
        JOB_KEYS)
    listed = client.get(f'{API}/jobs?context=edit', headers=admin).get_json()['data']
    assert listed == [job]


def test_a_heartbeat_renews_the_lease_of_its_holder_only(client, admin, app):
    job_id = new_job(client, admin)
    claim(client, admin, job_id, runner='a')
    set_job(job_id, heartbeat_at=ago(hours=1))

    renewed = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=admin,
                          json={'runner': 'a'})
    assert renewed.status_code == 200
    assert renewed.get_json()['data']['heartbeat_at'] >= ago(seconds=5)
    assert renewed.get_json()['data']['status'] == 'processing'

    other_runner = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=admin,
                               json={'runner': 'b'})
    no_runner = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=admin)
    stranger = basic('ops', create_account(app, 'ops', 'administrator'))
    other_password = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=stranger,
                                 json={'runner': 'a'})
    for refused in (other_runner, no_runner):
        assert refused.status_code == 409
        assert refused.get_json() == {
            'code': 'lease_held', 'message': "Another runner holds this job's lease.",
            'data': {'status': 409, 'claimed_by': 'tests', 'runner': 'a'}}
    # The same password name under another user: the name is what a lease records.
    assert other_password.status_code == 200

    client.patch(f'{API}/jobs/{job_id}', headers=admin, json={'status': 'completed'})
    finished = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=admin, json={'runner': 'a'})
    assert finished.status_code == 409
    assert finished.get_json() == {
        'code': 'job_not_processing',
        'message': "The job is no longer processing: its status is 'completed'.",
        'data': {'status': 409, 'current_status': 'completed'}}
    missing = client.post(f'{API}/jobs/{job_id + 1000}/heartbeat', headers=admin)
    assert missing.status_code == 404 and missing.get_json()['code'] == 'job_not_found'


def test_a_heartbeat_adopts_a_job_claimed_without_a_lease(client, admin):
    job_id = insert_job('processing')  # a direct writer: no lease
    response = client.post(f'{API}/jobs/{job_id}/heartbeat', headers=admin,
                           json={'runner': 'late'})
    assert response.status_code == 200
    assert (response.get_json()['data']['claimed_by'], response.get_json()['data']['runner']) == (
        'tests', 'late')


@pytest.mark.parametrize('path, body, params', [
    ('/jobs/{id}/heartbeat', {'runer': 'x'}, {'runer': 'runer is not a parameter of this '
                                                        'route. Did you mean runner?'}),
    ('/jobs/{id}/heartbeat', {'runner': ''}, {'runner': 'runner must be a string of 1 to 100 '
                                                        'characters.'}),
    ('/jobs/{id}/heartbeat', {'runner': 5}, {'runner': 'runner must be a string.'}),
    ('/jobs/recover-stuck', {'action': 'kill'}, {'action': 'action must be fail or requeue.'}),
    ('/jobs/recover-stuck', {'action': 'fail', 'timeout': '2x'}, {
        'timeout': 'timeout must be a duration such as 2h, 90m or 7d, or a number of seconds '
                   'from 1 to 86399913600.'}),
    ('/jobs/recover-stuck', {'action': 'fail', 'timeout': '0d'}, {
        'timeout': 'timeout must be a duration such as 2h, 90m or 7d, or a number of seconds '
                   'from 1 to 86399913600.'}),
    ('/jobs/recover-stuck', {'action': 'fail', 'limit': 0}, {
        'limit': 'limit must be an integer from 1 to 10000.'}),
    ('/jobs/recover-stuck', {'action': 'fail', 'dryrun': True}, {
        'dryrun': 'dryrun is not a parameter of this route. Did you mean dry_run?'}),
])
def test_bad_lease_parameters_are_named(client, admin, path, body, params):
    job_id = insert_job('processing')
    response = client.post(API + path.format(id=job_id), headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == params
    assert edit_view(client, admin, job_id)['heartbeat_at'] is None  # nothing written


def test_a_runner_label_is_recorded_by_a_claim_only(client, admin):
    job_id = new_job(client, admin)
    response = client.patch(f'{API}/jobs/{job_id}', headers=admin,
                            json={'status': 'completed', 'runner': 'a'})
    assert response.status_code == 200
    assert edit_view(client, admin, job_id)['runner'] is None


def test_timeouts_longer_than_history_mean_nothing_is_stuck(client, admin, stuck_jobs):
    response = client.post(f'{API}/jobs/recover-stuck', headers=admin, json={
        'action': 'fail', 'timeout': 86399913600, 'pending_timeout': '999999d', 'dry_run': True})
    assert response.status_code == 200
    assert response.get_json()['stuck_before'] == {'processing': '0001-01-01 00:00:00',
                                                   'pending': '0001-01-01 00:00:00'}
    assert response.get_json()['jobs_matched'] == 0


@pytest.fixture
def stuck_jobs(app):
    """Jobs in every state of liveness; the ones stuck at the default timeouts (2 hours
    processing, a day pending) are listed under 'stuck'."""
    ids = {
        'silent': insert_job('processing', started_at=ago(hours=5)),
        'alive': insert_job('processing', started_at=ago(hours=5)),
        'never_heartbeat': insert_job('processing', started_at=ago(hours=3)),
        'fresh': insert_job('processing', started_at=ago(minutes=5)),
        'old_pending': insert_job('pending'),
        'new_pending': insert_job('pending'),
        'done': insert_job('failed', started_at=ago(days=3)),
    }
    set_job(ids['silent'], heartbeat_at=ago(hours=2, minutes=1), claimed_by='tests')
    set_job(ids['alive'], heartbeat_at=ago(minutes=1), claimed_by='tests')
    set_job(ids['old_pending'], created_at=ago(days=2))
    set_job(ids['done'], created_at=ago(days=3))
    ids['stuck'] = sorted(ids[name] for name in ('silent', 'never_heartbeat', 'old_pending'))
    return ids


def test_stuck_jobs_are_listed_with_exact_totals(client, admin, stuck_jobs, monkeypatch, app):
    response = client.get(f'{API}/jobs?stuck=true&order=ASC', headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert [job['job_id'] for job in body['data']] == stuck_jobs['stuck']
    assert body['total'] == 3 and response.headers['X-WP-Total'] == '3'
    others = client.get(f'{API}/jobs?stuck=false', headers=admin).get_json()
    assert others['total'] == 4 and not {j['job_id'] for j in others['data']} & set(
        stuck_jobs['stuck'])
    narrowed = client.get(f'{API}/jobs?stuck=1&status=pending', headers=admin).get_json()
    assert [job['job_id'] for job in narrowed['data']] == [stuck_jobs['old_pending']]
    # Cursor pages keep the filter.
    first = client.get(f'{API}/jobs?stuck=true&per_page=2', headers=admin).get_json()
    second = client.get(f'{API}/jobs?stuck=true&per_page=2&cursor={first["next_cursor"]}',
                        headers=admin).get_json()
    assert [j['job_id'] for j in first['data'] + second['data']] == stuck_jobs['stuck'][::-1]
    # The timeouts are settings.
    change_settings(monkeypatch, app, stuck_timeout=4 * 3600)  # only the old pending job
    assert client.get(f'{API}/jobs?stuck=true', headers=admin).get_json()['total'] == 1
    bad = client.get(f'{API}/jobs?stuck=maybe', headers=admin)
    assert bad.status_code == 400 and list(bad.get_json()['data']['params']) == ['stuck']


def test_recover_stuck_dry_run_lists_and_changes_nothing(client, admin, stuck_jobs):
    response = client.post(f'{API}/jobs/recover-stuck', headers=admin,
                           json={'action': 'fail', 'dry_run': True})
    assert response.status_code == 200
    body = response.get_json()
    assert (body['dry_run'], body['action'], body['jobs_matched']) == (True, 'fail', 3)
    assert [job['job_id'] for job in body['data']] == stuck_jobs['stuck']
    assert body['data'][0] == {'job_id': stuck_jobs['silent'], 'status': 'processing',
                               'stuck_since': edit_view(client, admin,
                                                        stuck_jobs['silent'])['heartbeat_at']}
    assert client.get(f'{API}/jobs?stuck=true', headers=admin).get_json()['total'] == 3
    assert client.get(f'{API}/audit', headers=admin).get_json()['total'] == 0


def test_recover_stuck_fails_exactly_the_stuck_jobs_and_audits_it(client, admin, stuck_jobs):
    response = client.post(f'{API}/jobs/recover-stuck', headers=admin, json={'action': 'fail'})
    assert response.status_code == 200
    body = response.get_json()
    assert (body['dry_run'], body['jobs_recovered']) == (False, 3)
    assert [job['job_id'] for job in body['data']] == stuck_jobs['stuck']
    for name in ('silent', 'never_heartbeat', 'old_pending'):
        job = edit_view(client, admin, stuck_jobs[name])
        since = next(j['stuck_since'] for j in body['data'] if j['job_id'] == job['job_id'])
        assert job['status'] == 'failed - stuck' and job['completed_at'] >= ago(seconds=30)
        assert since in job['error_message'] and job['error_message'].startswith('Stuck: ')
    for name in ('alive', 'fresh', 'new_pending', 'done'):
        assert edit_view(client, admin, stuck_jobs[name])['status'] != 'failed - stuck'
    summary = client.get(f'{API}/jobs/summary', headers=admin).get_json()['data']
    assert summary['by_status']['failed'] == 4 and summary['total'] == 7
    [record] = client.get(f'{API}/audit', headers=admin).get_json()['data']
    assert (record['action'], record['outcome'], record['parameters'], record['rows_deleted']) \
        == ('jobs.recover_stuck', 'completed', {'action': 'fail'}, {'jobs_failed': 3})
    again = client.post(f'{API}/jobs/recover-stuck', headers=admin, json={'action': 'fail'})
    assert again.get_json()['jobs_recovered'] == 0 and again.get_json()['data'] == []


def test_recover_stuck_requeues_processing_jobs_with_one_more_attempt(client, admin,
                                                                      stuck_jobs):
    response = client.post(f'{API}/jobs/recover-stuck', headers=admin,
                           json={'action': 'requeue', 'timeout': '1h', 'limit': 1})
    body = response.get_json()
    assert body['jobs_recovered'] == 1 and body['data'][0]['job_id'] == stuck_jobs['silent']
    job = edit_view(client, admin, stuck_jobs['silent'])
    assert (job['status'], job['started_at'], job['heartbeat_at'], job['claimed_by'],
            job['attempts']) == ('pending', None, None, None, 2)
    rest = client.post(f'{API}/jobs/recover-stuck', headers=admin,
                       json={'action': 'requeue', 'timeout': 3600}).get_json()
    # A pending job is where requeueing would put it: only processing ones move.
    assert [j['job_id'] for j in rest['data']] == [stuck_jobs['never_heartbeat']]
    assert client.get(f'{API}/jobs?status=pending', headers=admin).get_json()['total'] == 4
    scoped = client.post(f'{API}/jobs/recover-stuck', headers=admin,
                         json={'action': 'fail', 'flow_id': 2}).get_json()
    assert scoped['jobs_recovered'] == 0


RUNNER = """
import sys
from datamachine_jobs_client import JobsClient
base, password, job_id, label = sys.argv[1:]
with JobsClient(base, 'runner', password) as client:
    with client.running(int(job_id), label, interval=0.2):
        print('claimed', flush=True)
        sys.stdin.readline()  # work until told to finish
"""


@pytest.mark.slow
def test_a_killed_runner_is_recovered_and_a_heartbeating_one_never(app, live_url, monkeypatch):
    """Two runner processes claim a job each through JobsClient.running; one is killed with
    SIGKILL, the other goes on heartbeating until it finishes."""
    change_settings(monkeypatch, app, stuck_timeout=3)
    password = create_account(app, 'runner', 'administrator')
    admin = basic('runner', password)
    client = app.test_client()
    runners = {}
    try:
        for label in ('killed', 'steady'):
            job_id = new_job(client, admin)
            runners[label] = job_id, subprocess.Popen(
                [sys.executable, '-c', RUNNER, live_url,
                 password, str(job_id), label],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                env={**os.environ, 'PYTHONPATH': CLIENT})
            assert runners[label][1].stdout.readline() == 'claimed\n'
        (killed, killed_runner), (steady, steady_runner) = runners['killed'], runners['steady']
        killed_runner.send_signal(signal.SIGKILL)
        killed_runner.wait(timeout=10)

        def stuck_ids():
            return [j['job_id'] for j in client.get(f'{API}/jobs?stuck=true',
                                                    headers=admin).get_json()['data']]
        wait_for(lambda: stuck_ids() == [killed], 'the killed runner to be stuck', seconds=15)
        time.sleep(1)  # five more heartbeat intervals: the steady runner is still not stuck
        recovered = client.post(f'{API}/jobs/recover-stuck', headers=admin,
                                json={'action': 'fail'}).get_json()
        assert [j['job_id'] for j in recovered['data']] == [killed]
        assert edit_view(client, admin, killed)['status'] == 'failed - stuck'
        assert edit_view(client, admin, steady)['status'] == 'processing'
        steady_runner.communicate('finish\n', timeout=30)
        assert steady_runner.returncode == 0
        assert edit_view(client, admin, steady)['status'] == 'completed'
    finally:
        for _, runner in runners.values():
            runner.kill()
            runner.wait()
            runner.stdin.close()
            runner.stdout.close()


def test_the_summary_counts_stuck_jobs(client, admin, stuck_jobs):
    """`stuck` filters the summary as it does the list, per group too."""
    insert_job('processing', flow_id=2, started_at=ago(hours=9))
    response = client.get(f'{API}/jobs/summary?stuck=true&group_by=flow_id', headers=admin)
    assert response.status_code == 200
    data = response.get_json()['data']
    assert data['total'] == 4
    assert (data['by_status']['pending'], data['by_status']['processing']) == (1, 3)
    assert [(g['flow_id'], g['total']) for g in data['groups']] == [(1, 3), (2, 1)]
    others = client.get(f'{API}/jobs/summary?stuck=false', headers=admin).get_json()['data']
    assert others['total'] == 4 and others['by_status']['failed'] == 1
    scoped = client.get(f'{API}/jobs/summary?stuck=true&flow_id=2&status=pending',
                        headers=admin).get_json()['data']
    assert scoped['total'] == 0


def test_recover_stuck_racing_heartbeats_touches_only_what_was_still_stuck(client, admin, app):
    """Each round a stuck job gets a heartbeat and a recovery at once: either the heartbeat
    lands first and the job stays processing, or the recovery does and the heartbeat is
    refused; never both, never neither."""
    outcomes = set()
    for _ in range(12):
        job_id = new_job(client, admin)
        claim(client, admin, job_id, runner='r')
        set_job(job_id, heartbeat_at=ago(hours=3))
        answers, start = {}, threading.Barrier(2)

        def beat(job_id=job_id, answers=answers, start=start):
            start.wait()
            answers['heartbeat'] = app.test_client().post(
                f'{API}/jobs/{job_id}/heartbeat', headers=admin, json={'runner': 'r'})

        def recover(answers=answers, start=start):
            start.wait()
            answers['recover'] = app.test_client().post(
                f'{API}/jobs/recover-stuck', headers=admin, json={'action': 'fail'})

        threads = [threading.Thread(target=beat), threading.Thread(target=recover)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        recovered = [j['job_id'] for j in answers['recover'].get_json()['data']]
        status = edit_view(client, admin, job_id)['status']
        if answers['heartbeat'].status_code == 200:
            assert recovered == [] and status == 'processing'
            client.patch(f'{API}/jobs/{job_id}', headers=admin, json={'status': 'completed'})
            outcomes.add('heartbeat first')
        else:
            assert answers['heartbeat'].get_json()['code'] == 'job_not_processing'
            assert recovered == [job_id] and status == 'failed - stuck'
            outcomes.add('recovery first')
    assert outcomes  # at least one round ran to an outcome


def test_metrics_count_stuck_jobs_and_the_oldest_processing_one(client, admin, stuck_jobs):
    samples = scrape(client)
    assert samples[('datamachine_jobs_stuck', ())] == 3
    age = samples[('datamachine_oldest_processing_job_age_seconds', ())]
    assert 5 * 3600 - 60 < age <= 5 * 3600 + 60  # 'silent' and 'alive' started 5 hours ago
    client.post(f'{API}/jobs/recover-stuck', headers=admin, json={'action': 'fail'})
    samples = scrape(client)
    assert samples[('datamachine_jobs_stuck', ())] == 0
    assert samples[('datamachine_oldest_processing_job_age_seconds', ())] > 5 * 3600 - 60


def test_no_processing_job_is_age_zero(client):
    insert_job('completed')
    assert scrape(client)[('datamachine_oldest_processing_job_age_seconds', ())] == 0
