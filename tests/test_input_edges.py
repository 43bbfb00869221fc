"""Inputs at the edges of what the API takes: each is answered with a 4xx naming the parameter
(never a 500), and integer-valued numbers are integers, as in WordPress."""
import pytest
from support import API, count_rows, insert_job

from datamachine_jobs.models import AuditRecord, Job

MAX = 2**63 - 1
OUT_OF_RANGE = 'must fall between the years 1 and 9999 in UTC.'


def test_a_page_whose_offset_would_overflow_is_refused(client, admin):
    response = client.get(f'{API}/processed-items?page={MAX}', headers=admin)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {
        'page': f'page must be an integer from 1 to {MAX // 100}.'}
    last = client.get(f'{API}/processed-items?page={MAX // 100}&per_page=100', headers=admin)
    assert last.status_code == 200 and last.get_json()['items'] == []


def test_deleting_an_id_too_large_to_store_is_a_404_and_audited(client, admin):
    response = client.delete(f'{API}/processed-items/99999999999999999999', headers=admin)
    assert response.status_code == 404
    assert response.get_json()['code'] == 'processed_item_not_found'
    record = client.get(f'{API}/audit', headers=admin).get_json()['data'][0]
    # JSON numbers past 64 bits come back as floats, as JavaScript reads them.
    assert (record['parameters'], record['outcome']) == ({'id': 1e20}, 'failed')
    assert count_rows(AuditRecord) == 1


@pytest.mark.parametrize('path', ['/jobs', '/jobs/summary'])
@pytest.mark.parametrize('name, value', [
    ('started_before', '9999-12-31T23:59:59-01:00'),
    ('completed_after', '0001-01-01T00:00:00+01:00'),
    ('started_after', '9999-12-31 23:59:59.5'),
])
def test_a_time_beyond_the_calendar_in_utc_is_refused(client, admin, path, name, value):
    response = client.get(f'{API}{path}', query_string={name: value}, headers=admin)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {name: f'{name} {OUT_OF_RANGE}'}


@pytest.mark.parametrize('value', ['9999-12-31T23:59:59-01:00', '999999d'])
def test_an_age_beyond_the_calendar_is_refused(client, admin, value):
    insert_job('completed')
    response = client.delete(f'{API}/jobs', headers=admin,
                             json={'type': 'all', 'older_than': value})
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {'older_than': f'older_than {OUT_OF_RANGE}'}
    assert count_rows(Job) == 1


def test_the_calendars_own_edges_are_fine(client, admin):
    query = {'started_after': '0001-01-01 00:00:00', 'started_before': '9999-12-31T23:59:59Z'}
    assert client.get(f'{API}/jobs', query_string=query, headers=admin).status_code == 200


@pytest.mark.parametrize('per_page', ['48.0', '4.8e1', ' 48 ', '+48', '48.'])
def test_integer_valued_numbers_are_integers_in_a_query(client, admin, per_page):
    response = client.get(f'{API}/jobs', query_string={'per_page': per_page}, headers=admin)
    assert response.status_code == 200 and response.get_json()['per_page'] == 48


def test_integer_valued_numbers_are_integers_in_a_body(client, admin):
    response = client.post(f'{API}/jobs', headers=admin,
                           json={'pipeline_id': 5.0, 'flow_id': 4.2e1})
    assert response.status_code == 201
    assert (response.get_json()['data']['pipeline_id'],
            response.get_json()['data']['flow_id']) == (5, 42)


@pytest.mark.parametrize('status', ['failed - a\x00b', 'failed - line\nbreak', 'failed\n',
                                    'completed\t', 'failed - \x7f'])
def test_a_status_with_control_characters_is_refused(client, admin, status):
    job = insert_job('pending')
    response = client.patch(f'{API}/jobs/{job}', headers=admin, json={'status': status})
    assert response.status_code == 400
    assert set(response.get_json()['data']['params']) == {'status'}
    assert client.get(f'{API}/jobs/{job}', headers=admin).get_json()['data']['status'] == \
        'pending'
