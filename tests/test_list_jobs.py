"""GET /jobs: shape, filters, sorting, pagination and parameter validation."""
import itertools

import pytest
from support import API, insert_job, job_ids

JOB_KEYS = ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at',
            'error_message']


def test_shape_defaults_and_headers(client, admin):
    failed = insert_job('failed', pipeline_id=5, flow_id=42, started_at='2024-01-02 14:00:00',
                        completed_at='2024-01-02 14:00:05',
                        error_message='Handler configuration missing')
    done = insert_job('completed', pipeline_id=5, flow_id=42, started_at='2024-01-02 14:30:00',
                      completed_at='2024-01-02 14:30:15')

    response = client.get(f'{API}/jobs', headers=admin)

    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/json; charset=UTF-8'
    assert response.headers['X-WP-Total'] == '2'
    assert response.headers['X-WP-TotalPages'] == '1'
    body = response.get_json()
    assert list(body) == ['success', 'data', 'total', 'per_page', 'offset', 'next_cursor']
    assert body['next_cursor'] is None and 'Link' not in response.headers
    assert body['success'] is True and body['total'] == 2
    assert body['per_page'] == 50 and body['offset'] == 0
    assert [list(job) for job in body['data']] == [JOB_KEYS, JOB_KEYS]
    assert body['data'] == [
        {'job_id': done, 'flow_id': 42, 'pipeline_id': 5, 'status': 'completed',
         'started_at': '2024-01-02 14:30:00', 'completed_at': '2024-01-02 14:30:15',
         'error_message': None},
        {'job_id': failed, 'flow_id': 42, 'pipeline_id': 5, 'status': 'failed',
         'started_at': '2024-01-02 14:00:00', 'completed_at': '2024-01-02 14:00:05',
         'error_message': 'Handler configuration missing'},
    ]


def test_empty_table(client, admin):
    response = client.get(f'{API}/jobs', headers=admin)
    assert response.get_json() == {'success': True, 'data': [], 'total': 0, 'per_page': 50,
                                   'offset': 0, 'next_cursor': None}
    assert response.headers['X-WP-Total'] == '0'
    assert response.headers['X-WP-TotalPages'] == '0'


def test_total_counts_filtered_rows_and_pages(client, admin):
    for n in range(7):
        insert_job('failed' if n % 2 else 'completed', flow_id=42 if n < 5 else 7)
    response = client.get(f'{API}/jobs?flow_id=42&per_page=2&offset=2', headers=admin)
    body = response.get_json()
    assert body['total'] == 5 and len(body['data']) == 2
    assert (body['per_page'], body['offset']) == (2, 2)
    assert response.headers['X-WP-Total'] == '5'
    assert response.headers['X-WP-TotalPages'] == '3'


def test_filters_combine(client, admin):
    wanted = insert_job('failed', pipeline_id=5, flow_id=42)
    insert_job('failed', pipeline_id=5, flow_id=43)
    insert_job('completed', pipeline_id=5, flow_id=42)
    insert_job('failed', pipeline_id=6, flow_id=42)
    response = client.get(f'{API}/jobs?pipeline_id=5&flow_id=42&status=failed', headers=admin)
    assert job_ids(response) == [wanted]
    assert response.get_json()['total'] == 1


STATUSES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
            'agent_skipped - duplicate content', 'failed', 'failed - timeout', 'FAILED - Timeout']


@pytest.mark.parametrize('query, expected', [
    ('failed', {'failed', 'failed - timeout', 'FAILED - Timeout'}),
    ('FAILED', {'failed', 'failed - timeout', 'FAILED - Timeout'}),
    ('failed - timeout', {'failed - timeout', 'FAILED - Timeout'}),
    ('agent_skipped', {'agent_skipped', 'agent_skipped - duplicate content'}),
    ('agent_skipped - duplicate content', {'agent_skipped - duplicate content'}),
    ('agent_skipped - other reason', set()),
    ('completed', {'completed'}),
    ('completed_no_items', {'completed_no_items'}),
    ('pending', {'pending'}),
    ('Processing', {'processing'}),
])
def test_status_filter_matches_base_and_compound(client, admin, query, expected):
    for status in STATUSES:
        insert_job(status)
    response = client.get(f'{API}/jobs', query_string={'status': query}, headers=admin)
    body = response.get_json()
    assert response.status_code == 200
    assert {job['status'] for job in body['data']} == expected
    assert body['total'] == len([s for s in STATUSES if s in expected])


def test_empty_values_and_unknown_parameters_are_ignored(client, admin):
    a, b = insert_job('failed'), insert_job('completed')
    response = client.get(f'{API}/jobs?status=&flow_id=&per_page=&orderby=&foo=bar',
                          headers=admin)
    assert response.status_code == 200
    assert job_ids(response) == [b, a]
    assert response.get_json()['per_page'] == 50


def test_repeated_parameter_first_value_wins(client, admin):
    first = insert_job(pipeline_id=1)
    insert_job(pipeline_id=2)
    response = client.get(f'{API}/jobs?pipeline_id=1&pipeline_id=2', headers=admin)
    assert job_ids(response) == [first]


@pytest.mark.parametrize('spelling', ['completed_at', 'j.completed_at', 'J.Completed_At',
                                      ' completed_at '])
def test_orderby_spellings(client, admin, spelling):
    late = insert_job(started_at='2026-01-01 00:00:00', completed_at='2026-03-01 00:00:00')
    early = insert_job(started_at='2026-01-01 00:00:00', completed_at='2026-02-01 00:00:00')
    response = client.get(f'{API}/jobs', query_string={'orderby': spelling, 'order': 'asc'},
                          headers=admin)
    assert job_ids(response) == [early, late]


@pytest.mark.parametrize('order', ['asc', 'ASC', 'Asc', 'desc', 'DESC', 'dEsC'])
def test_order_is_case_blind(client, admin, order):
    a, b = insert_job(), insert_job()
    expected = [a, b] if order.lower() == 'asc' else [b, a]
    assert job_ids(client.get(f'{API}/jobs?order={order}', headers=admin)) == expected


def reference_order(rows, orderby, order):
    """Sort rows as the contract says: orderby then job_id in `order`, NULLs smallest."""
    def key(row):
        value = row[orderby]
        return (value is not None, (value or '') if orderby != 'job_id' else value,
                row['job_id'])
    ordered = sorted(rows, key=key)
    return ordered if order == 'ASC' else ordered[::-1]


@pytest.fixture
def tied_jobs(client, admin):
    """Jobs with many ties and NULLs in every sortable column."""
    statuses = ['completed', 'failed', 'pending', 'processing', 'agent_skipped - x']
    times = [None, '2026-01-01 00:00:00', '2026-01-02 00:00:00']
    for n, (status, started, completed) in enumerate(
            itertools.product(statuses, times, times)):
        if status == 'pending':
            started = None
        insert_job(status, pipeline_id=1 + n % 3, flow_id=1 + n % 4, started_at=started,
                   completed_at=completed)
    everything = client.get(f'{API}/jobs?per_page=100', headers=admin).get_json()
    assert everything['total'] == 45
    return everything['data']


@pytest.mark.parametrize('orderby', ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at',
                                     'completed_at'])
@pytest.mark.parametrize('order', ['ASC', 'DESC'])
def test_pages_never_overlap_or_skip(client, admin, tied_jobs, orderby, order):
    seen = []
    for offset in range(0, 50, 7):
        response = client.get(f'{API}/jobs', headers=admin, query_string={
            'orderby': orderby, 'order': order, 'per_page': 7, 'offset': offset})
        seen.extend(response.get_json()['data'])
    assert [job['job_id'] for job in seen] == [
        job['job_id'] for job in reference_order(tied_jobs, orderby, order)]


def test_offset_past_the_end(client, admin):
    insert_job()
    response = client.get(f'{API}/jobs?offset=5', headers=admin)
    assert response.get_json()['data'] == [] and response.get_json()['total'] == 1


MAX = 2**63 - 1
STATUS_LIST_RULE = ("status must be a comma-separated list of up to 20 values, each one of: "
                    "pending, processing, completed, completed_no_items, agent_skipped, failed, "
                    "cancelled; optionally followed by ' - ' and a reason.")
INVALID = [
    ('orderby', 'password', 'orderby must be one of: job_id, flow_id, pipeline_id, status, '
                            'started_at, completed_at.'),
    ('orderby', 'j.password', 'orderby must be one of: job_id, flow_id, pipeline_id, status, '
                              'started_at, completed_at.'),
    ('order', 'sideways', 'order must be ASC or DESC.'),
    # Only ASCII letters fold and only spaces are trimmed, as the document spells it: 'ſ'
    # upper-cases to 'S' and str.strip() takes tabs too.
    ('order', 'a\u017fc', 'order must be ASC or DESC.'),
    ('order', 'asc\t', 'order must be ASC or DESC.'),
    ('orderby', '\tjob_id', 'orderby must be one of: job_id, flow_id, pipeline_id, status, '
                           'started_at, completed_at.'),
    ('per_page', '0', 'per_page must be an integer from 1 to 100.'),
    ('per_page', '101', 'per_page must be an integer from 1 to 100.'),
    ('per_page', '-1', 'per_page must be an integer from 1 to 100.'),
    ('per_page', 'ten', 'per_page must be an integer.'),
    ('per_page', '5.5', 'per_page must be an integer.'),
    ('per_page', '1e3', 'per_page must be an integer from 1 to 100.'),
    ('per_page', '4.5e0', 'per_page must be an integer.'),
    ('per_page', 'true', 'per_page must be an integer.'),
    ('per_page', '0x10', 'per_page must be an integer.'),
    ('offset', '-1', f'offset must be an integer from 0 to {MAX}.'),
    ('offset', str(2**64), f'offset must be an integer from 0 to {MAX}.'),
    ('offset', 'x', 'offset must be an integer.'),
    ('pipeline_id', '0', f'pipeline_id must be an integer from 1 to {MAX}.'),
    ('pipeline_id', 'abc', 'pipeline_id must be an integer.'),
    ('pipeline_id', str(2**70), f'pipeline_id must be an integer from 1 to {MAX}.'),
    ('flow_id', '-3', f'flow_id must be an integer from 1 to {MAX}.'),
    ('flow_id', '4.1', 'flow_id must be an integer.'),
    ('flow_id', '1e99999', f'flow_id must be an integer from 1 to {MAX}.'),
    ('status', 'failed - a\x01b', STATUS_LIST_RULE),
    ('status', 'nope', STATUS_LIST_RULE),
    ('status', 'failed - ', STATUS_LIST_RULE),
    ('status', 'failed - ' + 'x' * 100, STATUS_LIST_RULE),
    ('status', 'failed,nope', STATUS_LIST_RULE),
    ('status', ',,', STATUS_LIST_RULE),
    ('status', ','.join(['failed'] * 21), STATUS_LIST_RULE),
]


@pytest.mark.parametrize('name, value, message', INVALID)
def test_invalid_parameter_is_named(client, admin, name, value, message):
    response = client.get(f'{API}/jobs', query_string={name: value}, headers=admin)
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'rest_invalid_param', 'message': f'Invalid parameter(s): {name}',
        'data': {'status': 400, 'params': {name: message}}}


def test_every_invalid_parameter_is_reported(client, admin):
    response = client.get(f'{API}/jobs?orderby=x&order=y&per_page=0&offset=-1&pipeline_id=a'
                          '&flow_id=0&status=z', headers=admin)
    body = response.get_json()
    assert response.status_code == 400
    assert body['message'] == ('Invalid parameter(s): pipeline_id, flow_id, status, orderby, '
                               'order, per_page, offset')
    assert list(body['data']['params']) == ['pipeline_id', 'flow_id', 'status', 'orderby',
                                            'order', 'per_page', 'offset']
