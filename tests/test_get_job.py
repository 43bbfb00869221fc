"""GET /jobs/{id}: one job, or job_not_found for any id that names none."""
import pytest
from support import API, insert_job


def test_get_one_job(client, admin):
    job = insert_job('failed - timeout', pipeline_id=5, flow_id=42, error_message='Timed out')
    response = client.get(f'{API}/jobs/{job}', headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {'success': True, 'data': {
        'job_id': job, 'flow_id': 42, 'pipeline_id': 5, 'status': 'failed - timeout',
        'started_at': '2026-01-01 00:00:00', 'completed_at': '2026-01-01 00:01:00',
        'error_message': 'Timed out'}}


@pytest.mark.parametrize('job_id', ['0', '999999', str(2**63 - 1), str(2**64)])
def test_missing_job(client, admin, job_id):
    insert_job()
    response = client.get(f'{API}/jobs/{job_id}', headers=admin)
    assert response.status_code == 404
    assert response.get_json() == {'code': 'job_not_found', 'message': 'Job not found.',
                                   'data': {'status': 404}}
