"""Cursor pages of GET /jobs: every job once, in order, whatever arrives meanwhile; a cursor
belongs to its ordering and filters."""
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from support import API, insert_job, job_ids

from datamachine_jobs import db
from datamachine_jobs.models import Job
from datamachine_jobs.services import seed

ORDERBY = ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at']


@pytest.fixture
def many_jobs(app):
    """1,200 realistic jobs (ties and NULL timestamps included)."""
    with app.app_context(), db.database.connection_context():
        seed.seed(1200, rng_seed=4)
        return [job_id for (job_id,) in Job.select(Job.job_id).tuples()]


def walk(client, headers, query, per_page=100, on_page=None):
    """Follow next_cursor from the first page to the last; return the job ids in order."""
    seen, cursor = [], None
    for _ in range(100):
        response = client.get(f'{API}/jobs', headers=headers, query_string={
            **query, 'per_page': per_page, **({'cursor': cursor} if cursor else {})})
        body = response.get_json()
        assert response.status_code == 200, body
        seen += [job['job_id'] for job in body['data']]
        cursor = body['next_cursor']
        if on_page:
            on_page()
        if cursor is None:
            assert 'Link' not in response.headers
            return seen
        link = response.headers['Link']
        assert link.endswith('>; rel="next"')
        assert parse_qs(urlparse(link[1:link.index('>')]).query)['cursor'] == [cursor]
    raise AssertionError('the cursor never ended')


@pytest.mark.parametrize('orderby', ORDERBY)
@pytest.mark.parametrize('order', ['ASC', 'DESC'])
def test_cursor_visits_every_job_once_in_order(client, admin, many_jobs, orderby, order):
    by_offset = []
    for offset in range(0, 1200, 100):
        by_offset += job_ids(client.get(f'{API}/jobs', headers=admin, query_string={
            'orderby': orderby, 'order': order, 'per_page': 100, 'offset': offset}))
    by_cursor = walk(client, admin, {'orderby': orderby, 'order': order})
    assert by_cursor == by_offset
    assert sorted(by_cursor) == sorted(many_jobs)


@pytest.mark.parametrize('orderby', ['job_id', 'completed_at', 'status'])
def test_cursor_with_filters_and_small_pages(client, admin, many_jobs, orderby):
    query = {'orderby': orderby, 'order': 'ASC', 'status': 'failed,agent_skipped'}
    expected = []
    for offset in range(0, 1200, 100):
        expected += job_ids(client.get(f'{API}/jobs', headers=admin,
                                   query_string={**query, 'per_page': 100, 'offset': offset}))
    assert 100 < len(expected) < 1200
    assert walk(client, admin, query, per_page=7) == expected


@pytest.mark.parametrize('orderby', ['job_id', 'started_at'])
def test_cursor_is_stable_while_jobs_arrive(client, admin, many_jobs, orderby):
    """New jobs inserted between pages neither break the walk nor repeat or skip old jobs."""
    arrived = []

    def insert_some():
        for _ in range(3):
            arrived.append(insert_job('pending'))

    walked = walk(client, admin, {'orderby': orderby, 'order': 'DESC'}, on_page=insert_some)
    assert len(walked) == len(set(walked))
    assert set(many_jobs) <= set(walked)
    assert set(walked) <= set(many_jobs) | set(arrived)


def test_cursor_while_another_connection_inserts(client, admin, many_jobs):
    stop, arrived = threading.Event(), []

    def writer():
        while not stop.is_set() and len(arrived) < 500:
            arrived.append(insert_job('pending', started_at=None))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        walked = walk(client, admin, {'orderby': 'completed_at', 'order': 'ASC'}, per_page=50)
    finally:
        stop.set()
        thread.join()
    assert len(walked) == len(set(walked)) and set(many_jobs) <= set(walked)


def test_cursor_keeps_its_ordering_and_checks_its_query(client, admin, many_jobs):
    first = client.get(f'{API}/jobs?orderby=started_at&order=asc&status=completed&per_page=5',
                       headers=admin).get_json()
    cursor = first['next_cursor']
    # Only the cursor: ordering comes from it.
    rest = client.get(f'{API}/jobs?status=completed&per_page=5&cursor={cursor}', headers=admin)
    expected = client.get(f'{API}/jobs?orderby=started_at&order=asc&status=completed&per_page=5'
                          '&offset=5', headers=admin).get_json()['data']
    assert rest.get_json()['data'] == expected

    def error(query):
        response = client.get(f'{API}/jobs?{query}', headers=admin)
        assert response.status_code == 400
        body = response.get_json()
        assert body['code'] == 'rest_invalid_param'
        return body['data']['params']['cursor']

    assert 'other filters' in error(f'status=failed&cursor={cursor}')
    assert 'other filters' in error(f'cursor={cursor}')
    assert 'orderby=started_at' in error(f'status=completed&orderby=job_id&cursor={cursor}')
    assert 'order=ASC' in error(f'status=completed&order=desc&cursor={cursor}')
    assert 'non-zero offset' in error(f'status=completed&offset=5&cursor={cursor}')
    body, _, signature = cursor.partition('.')
    for tampered in [body[:-2] + 'xx' + '.' + signature, body + '.' + signature[::-1],
                     'garbage', body, '.' + signature, 'a.b.c']:
        assert 'unchanged' in error(f'status=completed&cursor={tampered}')
    # offset=0 alongside a cursor is fine.
    ok = client.get(f'{API}/jobs?status=completed&per_page=5&offset=0&cursor={cursor}',
                    headers=admin)
    assert ok.get_json()['data'] == expected
