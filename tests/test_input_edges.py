"""Inputs at the edges of what the API takes: each is answered with a 4xx naming the parameter
or read within the calendar (never a 500), and integer-valued numbers are integers, as in
WordPress."""
import pytest
from support import API, count_rows, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import AuditRecord, Job

MAX = 2**63 - 1
FIRST, LAST = '0001-01-01 00:00:00', '9999-12-31 23:59:59'


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


@pytest.fixture
def edges(app):
    """Jobs at the calendar's first and last seconds and one in between: {name: job_id}."""
    return {'first': insert_job(started_at=FIRST, completed_at=FIRST),
            'middle': insert_job(),
            'last': insert_job(started_at=LAST, completed_at=LAST)}


# A time past the calendar once moved to UTC counts as the calendar's first or last second.
@pytest.mark.parametrize('name, value, matched', [
    ('started_before', '9999-12-31T23:59:59-01:00', {'first', 'middle'}),  # before LAST
    ('completed_after', '0001-01-01T00:00:00+01:00', {'first', 'middle', 'last'}),
    ('completed_before', '0001-01-01T00:00:00+01:00', set()),
    ('started_after', '9999-12-31 23:59:59.5', {'last'}),  # rounds up, past the calendar
    ('started_after', '0000-12-31T23:00:00-02:00', {'middle', 'last'}),  # year 0 exists here
    ('started_before', '0999-01-01T00:00:00Z', {'first'}),  # four-digit years below 1000
])
def test_a_time_beyond_the_calendar_in_utc_is_clamped(client, admin, edges, name, value,
                                                       matched):
    listed = client.get(f'{API}/jobs', query_string={name: value}, headers=admin)
    assert listed.status_code == 200, listed.get_json()
    assert {job['job_id'] for job in listed.get_json()['data']} == {edges[k] for k in matched}
    summary = client.get(f'{API}/jobs/summary', query_string={name: value}, headers=admin)
    assert summary.status_code == 200 and summary.get_json()['data']['total'] == len(matched)


@pytest.mark.parametrize('value, cleared', [
    ('9999-12-31T23:59:59-01:00', {'first', 'middle'}),  # completed before the last second
    ('999999d', set()),  # before the first second: nothing is that old
])
def test_an_age_beyond_the_calendar_is_clamped(client, admin, edges, value, cleared):
    response = client.delete(f'{API}/jobs', headers=admin,
                             json={'type': 'all', 'older_than': value})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()['jobs_deleted'] == len(cleared)
    with db.database.connection_context():
        left = {job.job_id for job in Job.select(Job.job_id)}
    assert left == {edges[k] for k in edges.keys() - cleared}


@pytest.mark.parametrize('value', ['2026-11-28T22:00:00z', '2026-11-28t22:00:00Z',
                                   '2026-11-28T21:59:59.000001Z', '2026-11-28T21:59:60Z',
                                   '2026-11-28T21:59:59.0000001Z'])
def test_every_rfc_3339_spelling_is_read(client, admin, value):
    """Lower-case t and z, a leap second (the start of the next minute) and fractions past
    microseconds (rounding up) are RFC 3339 too."""
    early, late = insert_job(started_at='2026-11-28 21:59:59'), \
        insert_job(started_at='2026-11-28 22:00:00')
    listed = client.get(f'{API}/jobs', query_string={'started_after': value}, headers=admin)
    assert listed.status_code == 200, listed.get_json()
    assert [job['job_id'] for job in listed.get_json()['data']] == [late], early


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


def test_times_before_the_year_1000_read_with_four_digits(client, admin, edges):
    job = client.get(f'{API}/jobs/{edges["first"]}', headers=admin).get_json()['data']
    assert (job['started_at'], job['completed_at']) == (FIRST, FIRST)
