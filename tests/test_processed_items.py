"""The processed-items routes: record, check, list, delete and clear deduplication records."""
import pytest
from support import API, change_settings, count_rows, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import ProcessedItem

RECORD_KEYS = ['id', 'flow_step_id', 'source_type', 'item_identifier', 'job_id', 'processed_at']


def item(identifier, step='abc-123_42', source='rss'):
    return {'flow_step_id': step, 'source_type': source, 'item_identifier': identifier}


def record(client, headers, job_id, body):
    return client.post(f'{API}/jobs/{job_id}/processed-items', headers=headers, json=body)


def check(client, headers, body):
    response = client.get(f'{API}/processed-items/check', headers=headers, query_string=body)
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def job(app):
    return insert_job('processing', pipeline_id=5, flow_id=42)


def test_record_one(client, admin, job):
    response = record(client, admin, job, item('https://example.com/a'))
    assert response.status_code == 201
    data = response.get_json()['data']
    assert list(data) == RECORD_KEYS
    assert data == {'id': data['id'], 'flow_step_id': 'abc-123_42', 'source_type': 'rss',
                    'item_identifier': 'https://example.com/a', 'job_id': job,
                    'processed_at': data['processed_at']}
    with db.database.connection_context():
        row = ProcessedItem.get_by_id(data['id'])
    assert (row.flow_id, row.pipeline_id) == (42, 5)  # copied from the job


def test_record_one_twice_is_409_with_the_first(client, admin, job):
    first = record(client, admin, job, item('u1')).get_json()['data']
    other_job = insert_job('processing', flow_id=42, pipeline_id=5)
    response = record(client, admin, other_job, item('u1'))
    assert response.status_code == 409
    assert response.get_json() == {'code': 'already_processed',
                                   'message': 'This item was already processed.',
                                   'data': {'status': 409, 'existing': first}}
    assert count_rows(ProcessedItem) == 1


def test_identity_is_exact(client, admin, job):
    """Case, trailing spaces and each part of the triple all make a different item."""
    variants = [item('u'), item('U'), item('u '), item('u', step='abc-123_43'),
                item('u', source='reddit'), item('ü'), item('u\u00a0')]
    for body in variants:
        assert record(client, admin, job, body).status_code == 201
    for body in variants:
        assert check(client, admin, body)['processed'] is True
    assert check(client, admin, item('u  '))['processed'] is False


def test_batch_skips_repeats_inside_itself_and_against_the_table(client, admin, job):
    record(client, admin, job, item('old'))
    batch = [item('a'), item('old'), item('b'), item('a'), item('c'), item('b')]
    response = record(client, admin, job, {'items': batch})
    assert response.status_code == 200
    body = response.get_json()
    assert (body['success'], body['created'], body['skipped']) == (True, 3, 3)
    assert [r['item_identifier'] for r in body['data']] == ['a', 'b', 'c']
    assert all(list(r) == RECORD_KEYS and r['job_id'] == job for r in body['data'])
    assert count_rows(ProcessedItem) == 4


def test_batch_of_a_thousand(client, admin, job):
    batch = [item(f'https://example.com/{n}') for n in range(1000)]
    body = record(client, admin, job, {'items': batch}).get_json()
    assert (body['created'], body['skipped']) == (1000, 0)
    again = record(client, admin, job, {'items': batch}).get_json()
    assert (again['created'], again['skipped'], again['data']) == (0, 1000, [])


@pytest.mark.parametrize('items, params', [
    ([item('a'), {'flow_step_id': 'x', 'source_type': 'rss'}, item('c')],
     {'items[1].item_identifier': 'items[1].item_identifier is required.'}),
    ([item('a'), 'oops'], {'items[1]': 'items[1] must be an object.'}),
    ([item('a'), item('')],
     {'items[1].item_identifier': 'item_identifier must be 1 to 4096 characters long.'}),
    ([item('a'), item('b', source=None)],
     {'items[1].source_type': 'source_type must be a string.'}),
    ([item('a'), item('b', step='s' * 256)],
     {'items[1].flow_step_id': 'flow_step_id must be 1 to 255 characters long.'}),
    ([], {'items': 'items must hold 1 to 1000 records.'}),
    ([item(str(n)) for n in range(1001)], {'items': 'items must hold 1 to 1000 records.'}),
    ('a', {'items': 'items must be a list of records.'}),
])
def test_invalid_batch_changes_nothing(client, admin, job, items, params):
    response = record(client, admin, job, {'items': items})
    assert response.status_code == 400
    assert response.get_json() == {'code': 'rest_invalid_param',
                                   'message': 'Invalid parameter(s): ' + ', '.join(params),
                                   'data': {'status': 400, 'params': params}}
    assert count_rows(ProcessedItem) == 0


def test_single_record_missing_fields(client, admin, job):
    response = record(client, admin, job, {'source_type': 'rss'})
    assert response.get_json() == {
        'code': 'rest_missing_callback_param',
        'message': 'Missing parameter(s): flow_step_id, item_identifier',
        'data': {'status': 400, 'params': ['flow_step_id', 'item_identifier']}}


@pytest.mark.parametrize('body', [item('a'), {'items': [item('a')]}])
@pytest.mark.parametrize('job_id', [999999, 2**64])
def test_record_for_unknown_job(client, admin, body, job_id):
    response = record(client, admin, job_id, body)
    assert response.status_code == 404
    assert response.get_json() == {'code': 'job_not_found', 'message': 'Job not found.',
                                   'data': {'status': 404}}


def test_check(client, admin, job):
    created = record(client, admin, job, item('https://example.com/a')).get_json()['data']
    assert check(client, admin, item('https://example.com/a')) == {
        'success': True, 'processed': True, 'data': created}
    assert check(client, admin, item('https://example.com/b')) == {
        'success': True, 'processed': False, 'data': None}
    response = client.get(f'{API}/processed-items/check?source_type=rss', headers=admin)
    assert response.get_json()['data']['params'] == ['flow_step_id', 'item_identifier']


def test_records_written_by_another_process_are_found(client, admin, job):
    """The lookup key computed here equals the one the database generates (MySQL item_key)."""
    identifiers = ['https://example.com/ü?q=1', 'emoji-🙂', 'plain']
    with db.database.connection_context():
        for identifier in identifiers:
            db.database.execute_sql(
                'INSERT INTO datamachine_processed_items (flow_step_id, source_type, '
                'item_identifier, job_id, flow_id, pipeline_id) VALUES '
                f'({", ".join([db.database.param] * 6)})',
                ('abc-123_42', 'rss', identifier, job, 42, 5))
    for identifier in identifiers:
        assert check(client, admin, item(identifier))['processed'] is True
        assert record(client, admin, job, item(identifier)).status_code == 409


def test_list_newest_first_with_filters_and_pages(client, admin):
    other = insert_job(pipeline_id=6, flow_id=60)
    mine = insert_job(pipeline_id=5, flow_id=42)
    record(client, admin, other, {'items': [item(f'o{n}', source='reddit') for n in range(3)]})
    created = record(client, admin, mine, {'items': [item(f'm{n}') for n in range(5)]})
    ids = [r['id'] for r in created.get_json()['data']]

    response = client.get(f'{API}/processed-items?flow_id=42&per_page=2&page=2', headers=admin)
    assert response.status_code == 200
    assert response.headers['X-WP-Total'] == '5' and response.headers['X-WP-TotalPages'] == '3'
    body = response.get_json()
    assert list(body) == ['success', 'items', 'total', 'page', 'per_page']
    assert [r['id'] for r in body['items']] == ids[::-1][2:4]
    assert (body['total'], body['page'], body['per_page']) == (5, 2, 2)

    everything = client.get(f'{API}/processed-items', headers=admin).get_json()
    assert everything['total'] == 8 and everything['per_page'] == 20
    assert [r['id'] for r in everything['items']] == sorted(
        (r['id'] for r in everything['items']), reverse=True)
    for query, total in [('pipeline_id=6', 3), (f'job_id={mine}', 5), ('source_type=reddit', 3),
                         ('source_type=rss&flow_id=60', 0)]:
        assert client.get(f'{API}/processed-items?{query}', headers=admin).get_json()[
            'total'] == total


@pytest.mark.parametrize('query, params', [
    ('page=0', {'page': f'page must be an integer from 1 to {(2**63 - 1) // 100}.'}),
    ('per_page=101', {'per_page': 'per_page must be an integer from 1 to 100.'}),
    ('job_id=x', {'job_id': 'job_id must be an integer.'}),
    ('source_type=' + 'x' * 101, {'source_type': 'source_type must be 1 to 100 characters long.'}),
])
def test_list_invalid_parameters(client, admin, query, params):
    response = client.get(f'{API}/processed-items?{query}', headers=admin)
    assert response.status_code == 400 and response.get_json()['data']['params'] == params


def test_delete_one(client, admin, job):
    first = record(client, admin, job, item('a')).get_json()['data']
    record(client, admin, job, item('b'))
    response = client.delete(f'{API}/processed-items/{first["id"]}', headers=admin)
    assert response.get_json() == {
        'success': True, 'message': 'Deduplication tracking record deleted successfully.',
        'id': first['id']}
    assert check(client, admin, item('a'))['processed'] is False
    assert check(client, admin, item('b'))['processed'] is True
    again = client.delete(f'{API}/processed-items/{first["id"]}', headers=admin)
    assert again.status_code == 404
    assert again.get_json() == {'code': 'processed_item_not_found',
                                'message': 'Processed item not found.', 'data': {'status': 404}}


@pytest.mark.parametrize('clear_type, target, left', [('flow', 42, {'p5f43', 'p6f60'}),
                                                      ('pipeline', 5, {'p6f60'}),
                                                      ('flow', 7, {'p5f42', 'p5f43', 'p6f60'})])
def test_clear_by_flow_or_pipeline(client, admin, app, monkeypatch, clear_type, target, left):
    change_settings(monkeypatch, app, clear_batch_size=2)
    for pipeline_id, flow_id in [(5, 42), (5, 43), (6, 60)]:
        job_id = insert_job(pipeline_id=pipeline_id, flow_id=flow_id)
        record(client, admin, job_id, {'items': [item(f'p{pipeline_id}f{flow_id}#{n}')
                                                 for n in range(3)]})
    response = client.delete(f'{API}/processed-items', headers=admin,
                             json={'clear_type': clear_type, 'target_id': target})
    deleted = 9 - 3 * len(left)
    assert response.get_json() == {'success': True, 'data': None,
                                   'message': f'Deleted {deleted} deduplication tracking records.',
                                   'items_deleted': deleted}
    with db.database.connection_context():
        remaining = {i.split('#')[0] for (i,) in
                     ProcessedItem.select(ProcessedItem.item_identifier).tuples()}
    assert remaining == left


@pytest.mark.parametrize('body, code, data', [
    ({'clear_type': 'job', 'target_id': 1}, 'invalid_clear_type', {'status': 400}),
    ({'clear_type': 'flow'}, 'rest_missing_callback_param', {'status': 400,
                                                             'params': ['target_id']}),
    ({'clear_type': 'flow', 'target_id': 'x'}, 'rest_invalid_param', {
        'status': 400, 'params': {'target_id': 'target_id must be an integer.'}}),
])
def test_clear_invalid(client, admin, body, code, data):
    response = client.delete(f'{API}/processed-items', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['code'] == code and response.get_json()['data'] == data


def test_check_after_clearing_failed_jobs_with_cleanup(client, admin):
    failed = insert_job('failed - timeout', flow_id=42)
    done = insert_job('completed', flow_id=42)
    record(client, admin, failed, {'items': [item('f1'), item('f2')]})
    record(client, admin, done, {'items': [item('d1'), item('d2')]})
    cleared = client.delete(f'{API}/jobs', headers=admin,
                            json={'type': 'failed', 'cleanup_processed': True}).get_json()
    assert (cleared['jobs_deleted'], cleared['processed_items_cleaned']) == (1, 2)
    for identifier, processed in [('f1', False), ('f2', False), ('d1', True), ('d2', True)]:
        assert check(client, admin, item(identifier))['processed'] is processed
