"""GET /jobs/export: the matching history as NDJSON or CSV, streamed page by page in bounded
memory, equal to the list's cursor walk, with a correct Content-Disposition."""
import csv
import io
import tracemalloc

import orjson
import pytest
from support import API, insert_job

from datamachine_jobs import db
from datamachine_jobs.services import seed

BIG = 200_000


def cursor_walk(client, headers, query):
    """Every job of GET /jobs?{query} by following next_cursor."""
    jobs, url = [], f'{API}/jobs?per_page=100&{query}'
    while url:
        body = client.get(url, headers=headers).get_json()
        jobs += body['data']
        cursor = body['next_cursor']
        url = cursor and f'{API}/jobs?per_page=100&{query}&cursor={cursor}'
    return jobs


def test_ndjson_export_equals_the_cursor_walk(client, admin):
    for n in range(7):
        insert_job(['completed', 'failed - timeout', 'pending'][n % 3], flow_id=n % 2 + 1,
                   error_message='a "quoted", multi\nline message' if n == 4 else None)
    response = client.get(f'{API}/jobs/export?flow_id=1&order=DESC', headers=admin)
    assert response.status_code == 200
    assert response.mimetype == 'application/x-ndjson'
    disposition = response.headers['Content-Disposition']
    assert disposition.startswith('attachment; filename="jobs-') and disposition.endswith(
        '.ndjson"')
    lines = response.get_data().splitlines()
    assert [orjson.loads(line) for line in lines] == cursor_walk(client, admin,
                                                                 'flow_id=1&order=DESC')
    assert len(lines) == 4


def test_csv_export_with_fields_and_edit_keys(client, admin):
    first = insert_job('completed', error_message='a "quoted", multi\nline message')
    second = insert_job('pending')
    response = client.get(f'{API}/jobs/export?format=csv&_fields=job_id,status,error_message,'
                          'attempts', headers=admin)
    assert response.status_code == 200 and response.mimetype == 'text/csv'
    assert response.headers['Content-Disposition'].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [['job_id', 'status', 'error_message', 'attempts'],
                    [str(first), 'completed', 'a "quoted", multi\nline message', '1'],
                    [str(second), 'pending', '', '1']]


def test_an_empty_export_is_a_header_or_nothing(client, admin):
    assert client.get(f'{API}/jobs/export?format=csv', headers=admin).get_data() == (
        b'job_id,flow_id,pipeline_id,status,started_at,completed_at,error_message\r\n')
    assert client.get(f'{API}/jobs/export', headers=admin).get_data() == b''


@pytest.mark.parametrize('query, param', [('format=xml', 'format'), ('order=up', 'order'),
                                          ('_fields=nope', '_fields'), ('flow_id=0', 'flow_id')])
def test_bad_export_parameters_are_json_errors(client, admin, query, param):
    response = client.get(f'{API}/jobs/export?{query}', headers=admin)
    assert response.status_code == 400 and response.mimetype == 'application/json'
    assert list(response.get_json()['data']['params']) == [param]


def test_a_big_export_streams_in_bounded_memory(client, admin, app):
    with app.app_context(), db.database.connection_context():
        seed.seed(BIG, rng_seed=5)
    tracemalloc.start()
    try:
        response = client.get(f'{API}/jobs/export?status=failed,completed', headers=admin,
                              buffered=False)
        ids, chunks, last = [], 0, None
        for chunk in response.response:
            chunks += 1
            text = chunk if last is None else last + chunk
            *whole, last = text.split(b'\n')
            ids += [orjson.loads(line)['job_id'] for line in whole]
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last == b''
    assert chunks >= BIG // 1000 // 2  # a page at a time, not one body
    assert peak < 20 * 1024 * 1024  # the whole export as JSON is about 30 MB
    walk = cursor_walk(client, admin, 'status=failed,completed&order=ASC&_fields=job_id')
    assert ids == [job['job_id'] for job in walk] and len(ids) > BIG // 2


def test_a_client_that_goes_away_stops_the_walk(client, admin, app):
    with app.app_context(), db.database.connection_context():
        seed.seed(5000, rng_seed=6)
    response = client.get(f'{API}/jobs/export', headers=admin, buffered=False)
    stream = iter(response.response)
    first = next(stream)
    assert first.count(b'\n') == 1000
    response.close()  # what a WSGI server does when the client disconnects
    with pytest.raises(StopIteration):
        next(stream)
