"""Filtering GET /jobs beyond the plugin: several statuses, time windows and _fields."""
import pytest
from support import API, insert_job, job_ids


def test_several_statuses(client, admin):
    made = {s: insert_job(s) for s in ['failed', 'failed - timeout', 'agent_skipped - dup',
                                       'agent_skipped', 'completed', 'pending']}
    response = client.get(f'{API}/jobs?status=failed,agent_skipped&order=asc', headers=admin)
    assert job_ids(response) == [made[s] for s in ['failed', 'failed - timeout',
                                               'agent_skipped - dup', 'agent_skipped']]
    response = client.get(f'{API}/jobs?status=failed - timeout, COMPLETED,&order=asc',
                          headers=admin)
    assert job_ids(response) == [made['failed - timeout'], made['completed']]
    assert response.get_json()['total'] == 2


def test_time_windows(client, admin):
    early = insert_job(started_at='2026-11-28 20:00:00', completed_at='2026-11-28 20:10:00')
    night = insert_job(started_at='2026-11-28 22:00:00', completed_at='2026-11-28 23:59:59')
    late = insert_job(started_at='2026-11-29 06:00:00', completed_at='2026-11-29 06:00:01')
    running = insert_job('processing', started_at='2026-11-29 07:00:00')

    def window(query):
        return sorted(job_ids(client.get(f'{API}/jobs?{query}', headers=admin)))

    assert window('started_after=2026-11-28 22:00:00') == [night, late, running]  # inclusive
    assert window('started_before=2026-11-28 22:00:00') == [early]  # exclusive
    assert window('completed_after=2026-11-28 21:00:00&completed_before=2026-11-29 00:00:00') \
        == [night]
    assert window('completed_after=2026-11-28 21:00:00') == [night, late]  # NULLs never match
    # ISO 8601 with offsets: 23:00+01:00 is 22:00 UTC; an unescaped '+' arrives as a space.
    assert window('started_after=2026-11-28T23:00:00%2B01:00') == [night, late, running]
    assert window('started_after=2026-11-28T23:00:00+01:00') == [night, late, running]
    assert window('started_after=2026-11-28T22:00:00Z&started_before=2026-11-29') == [night]
    assert window('started_after=2026-11-28 21:59:59.5') == [night, late, running]


@pytest.mark.parametrize('name', ['started_after', 'started_before', 'completed_after',
                                  'completed_before'])
@pytest.mark.parametrize('value', ['yesterday', '2026-13-01 00:00:00', '2026-11-28 25:00',
                                   '1700000000'])
def test_invalid_time(client, admin, name, value):
    response = client.get(f'{API}/jobs', query_string={name: value}, headers=admin)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {name: (
        f"{name} must be a time: 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601 with an offset.")}


def test_fields(client, admin):
    job = insert_job('failed', flow_id=42, error_message='boom')
    listed = client.get(f'{API}/jobs?_fields=status,job_id', headers=admin).get_json()
    assert listed['data'] == [{'job_id': job, 'status': 'failed'}]
    assert list(listed['data'][0]) == ['job_id', 'status']
    one = client.get(f'{API}/jobs/{job}?_fields=error_message', headers=admin).get_json()
    assert one['data'] == {'error_message': 'boom'}
    bad = client.get(f'{API}/jobs?_fields=job_id,password', headers=admin)
    assert bad.status_code == 400 and list(bad.get_json()['data']['params']) == ['_fields']
