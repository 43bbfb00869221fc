"""POST /jobs and PATCH /jobs/<id>: recording a job's life."""
import pytest
from support import API, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import Job

NULL_JOB = {'status': 'pending', 'started_at': None, 'completed_at': None, 'error_message': None}


def test_create_job(client, admin):
    response = client.post(f'{API}/jobs', headers=admin, json={'pipeline_id': 5, 'flow_id': 42})
    assert response.status_code == 201
    job = response.get_json()['data']
    assert response.headers['Location'] == f'{API}/jobs/{job["job_id"]}'
    assert response.get_json() == {'success': True, 'data': {
        'job_id': job['job_id'], 'flow_id': 42, 'pipeline_id': 5, **NULL_JOB}}
    assert client.get(response.headers['Location'], headers=admin).get_json()['data'] == job


def test_create_job_from_a_form(client, admin):
    response = client.post(f'{API}/jobs', headers=admin, data={'pipeline_id': '5',
                                                                'flow_id': '42'})
    assert response.status_code == 201 and response.get_json()['data']['flow_id'] == 42


@pytest.mark.parametrize('body, params', [
    ({}, ['pipeline_id', 'flow_id']),
    ({'pipeline_id': 5}, ['flow_id']),
    ({'flow_id': 5, 'pipeline_id': None}, ['pipeline_id']),
])
def test_create_job_missing_parameters(client, admin, body, params):
    response = client.post(f'{API}/jobs', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'rest_missing_callback_param',
        'message': 'Missing parameter(s): ' + ', '.join(params),
        'data': {'status': 400, 'params': params}}


@pytest.mark.parametrize('name, value, message', [
    ('pipeline_id', 0, f'pipeline_id must be an integer from 1 to {2**63 - 1}.'),
    ('pipeline_id', 'five', 'pipeline_id must be an integer.'),
    ('pipeline_id', 5.5, 'pipeline_id must be an integer.'),
    ('pipeline_id', True, 'pipeline_id must be an integer.'),
    ('flow_id', -1, f'flow_id must be an integer from 1 to {2**63 - 1}.'),
    ('flow_id', [1], 'flow_id must be an integer.'),
])
def test_create_job_invalid_parameters(client, admin, name, value, message):
    body = {'pipeline_id': 5, 'flow_id': 42, name: value}
    response = client.post(f'{API}/jobs', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {name: message}
    with db.database.connection_context():
        assert Job.select().count() == 0


def patch(client, headers, job_id, **body):
    return client.patch(f'{API}/jobs/{job_id}', headers=headers, json=body)


ALLOWED = [
    ('pending', 'processing'), ('pending', 'completed'), ('pending', 'failed - never started'),
    ('pending', 'agent_skipped'), ('processing', 'completed'),
    ('processing', 'completed_no_items'), ('processing', 'agent_skipped - duplicate content'),
    ('processing', 'failed'), ('processing', 'FAILED - Timeout'),
]
REFUSED = [
    ('pending', 'pending'), ('processing', 'processing'), ('processing', 'pending'),
    ('completed', 'processing'), ('completed', 'failed'), ('completed', 'completed'),
    ('failed - timeout', 'completed'), ('agent_skipped', 'processing'),
    ('completed_no_items', 'pending'),
]


@pytest.mark.parametrize('current, target', ALLOWED)
def test_allowed_moves_stamp_times(client, admin, current, target):
    job_id = insert_job(current, started_at='2026-01-01 00:00:00')
    before = client.get(f'{API}/jobs/{job_id}', headers=admin).get_json()['data']
    response = patch(client, admin, job_id, status=target)
    assert response.status_code == 200
    job = response.get_json()['data']
    base, _, reason = target.partition(' - ')
    assert job['status'] == base.lower() + _ + reason
    if target == 'processing':
        assert job['started_at'] is not None and job['completed_at'] is None
    else:
        assert job['completed_at'] is not None
        # A job that was already running keeps its start; a pending one starts when it ends.
        expected_start = before['started_at'] if current == 'processing' else job['completed_at']
        assert job['started_at'] == expected_start
    assert client.get(f'{API}/jobs/{job_id}', headers=admin).get_json()['data'] == job


@pytest.mark.parametrize('current, target', REFUSED)
def test_refused_moves_change_nothing(client, admin, current, target):
    job_id = insert_job(current)
    before = client.get(f'{API}/jobs/{job_id}', headers=admin).get_json()['data']
    response = patch(client, admin, job_id, status=target, error_message='nope')
    assert response.status_code == 409
    assert response.get_json() == {
        'code': 'invalid_transition',
        'message': f"A job cannot move from '{current}' to '{target}'.",
        'data': {'status': 409, 'current_status': current}}
    assert client.get(f'{API}/jobs/{job_id}', headers=admin).get_json()['data'] == before


def test_error_message_is_recorded(client, admin):
    job_id = insert_job('processing')
    job = patch(client, admin, job_id, status='failed', error_message='Handler configuration '
                                                                       'missing').get_json()
    assert job['data']['error_message'] == 'Handler configuration missing'
    listed = client.get(f'{API}/jobs?status=failed', headers=admin).get_json()['data']
    assert [j['job_id'] for j in listed] == [job_id]


@pytest.mark.parametrize('job_id', [999999, 2**64])
def test_patch_unknown_job(client, admin, job_id):
    response = patch(client, admin, job_id, status='processing')
    assert response.status_code == 404
    assert response.get_json()['code'] == 'job_not_found'


@pytest.mark.parametrize('body, code, params', [
    ({}, 'rest_missing_callback_param', ['status']),
    ({'status': 'done'}, 'rest_invalid_param', {'status': (
        "status must be one of: pending, processing, completed, completed_no_items, "
        "agent_skipped, failed, cancelled; optionally followed by ' - ' and a reason.")}),
    ({'status': 7}, 'rest_invalid_param', {'status': 'status must be a string.'}),
    ({'status': 'failed', 'error_message': ['x']}, 'rest_invalid_param',
     {'error_message': 'error_message must be a string.'}),
    ({'status': 'failed', 'error_message': 'x' * 16001}, 'rest_invalid_param',
     {'error_message': 'error_message must be at most 16000 characters.'}),
])
def test_patch_invalid_body(client, admin, body, code, params):
    job_id = insert_job('processing')
    response = client.patch(f'{API}/jobs/{job_id}', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['code'] == code
    assert response.get_json()['data']['params'] == params
