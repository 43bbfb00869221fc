"""The audit log: every destructive call leaves who, from where, what and how many rows, over
HTTP and the command line, and GET /audit and `audit list` read it back."""
import getpass
import json
import os
import socket

import pytest
from support import (
    API,
    basic,
    change_settings,
    count_rows,
    create_account,
    delta,
    insert_items,
    insert_job,
    scrape,
)

from datamachine_jobs import db
from datamachine_jobs.models import AuditRecord, Job

PROCESS = f'{socket.gethostname()}:{os.getpid()}'  # in-process requests run in this process
REFUSE_DELETES = {
    'sqlite': ('CREATE TRIGGER refuse_deletes BEFORE DELETE ON datamachine_jobs '
               "BEGIN SELECT RAISE(ABORT, 'refused'); END"),
    'mysql': ('CREATE TRIGGER refuse_deletes BEFORE DELETE ON datamachine_jobs FOR EACH ROW '
              "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'"),
}


def records(client, headers, query=''):
    response = client.get(f'{API}/audit{query}', headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_clear_is_recorded_with_its_actor_parameters_and_rows(client, admin):
    failed = insert_job('failed')
    insert_items(failed, 2)
    insert_job('completed')
    response = client.delete(f'{API}/jobs', headers={**admin, 'X-Request-ID': 'req-42'},
                             json={'type': 'failed', 'cleanup_processed': True})
    assert response.status_code == 200

    body = records(client, admin)
    assert (body['total'], body['per_page'], body['offset']) == (1, 50, 0)
    [record] = body['data']
    assert record.pop('id') > 0 and len(record.pop('created_at')) == 19
    assert record == {
        'action': 'jobs.clear', 'via': 'http', 'username': 'admin', 'app_password': 'tests',
        'remote_addr': '127.0.0.1', 'request_id': 'req-42', 'process': PROCESS,
        'parameters': {'type': 'failed', 'cleanup_processed': True},
        'outcome': 'completed', 'rows_deleted': {'jobs': 1, 'processed_items': 2}}


def test_processed_item_clears_and_deletions_are_recorded(client, admin):
    job = insert_job(flow_id=42)
    first, *_ = insert_items(job, 3, flow_id=42)
    assert client.delete(f'{API}/processed-items/{first}', headers=admin).status_code == 200
    assert client.delete(f'{API}/processed-items', headers=admin,
                         json={'clear_type': 'flow', 'target_id': 42}).status_code == 200
    assert client.delete(f'{API}/processed-items/{first}', headers=admin).status_code == 404
    missing, newest, oldest = records(client, admin)['data']
    assert (oldest['action'], oldest['parameters'], oldest['rows_deleted']) == (
        'processed_items.delete', {'id': first}, {'processed_items': 1})
    assert (missing['action'], missing['outcome'], missing['rows_deleted']) == (
        'processed_items.delete', 'failed', None)
    assert (newest['action'], newest['parameters'], newest['rows_deleted']) == (
        'processed_items.clear', {'clear_type': 'flow', 'target_id': 42},
        {'processed_items': 2})


def test_previews_and_refused_calls_leave_no_record(app, client, admin):
    insert_job('failed')
    assert client.delete(f'{API}/jobs', headers=admin,
                         json={'type': 'failed', 'dry_run': True}).status_code == 200
    assert client.delete(f'{API}/jobs', headers=admin, json={'type': 'some'}).status_code == 400
    editor = basic('ed', create_account(app, 'ed', 'editor'))
    assert client.delete(f'{API}/jobs', headers=editor, json={'type': 'all'}).status_code == 403
    assert count_rows(AuditRecord) == 0 and count_rows(Job) == 1


def test_a_clear_that_fails_is_recorded_as_failed(backend, client, admin):
    insert_job('failed')
    with db.database.connection_context():
        db.database.execute_sql(REFUSE_DELETES[backend])
    try:
        response = client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed'})
    finally:
        with db.database.connection_context():
            db.database.execute_sql('DROP TRIGGER refuse_deletes')
    assert response.status_code == 500
    [record] = records(client, admin)['data']
    assert (record['outcome'], record['rows_deleted']) == ('failed', None)
    assert count_rows(Job) == 1


REFUSE_DELETE_OF = {
    'sqlite': ('CREATE TRIGGER refuse_deletes BEFORE DELETE ON datamachine_jobs '
               "WHEN OLD.job_id = {job} BEGIN SELECT RAISE(ABORT, 'refused'); END"),
    'mysql': ('CREATE TRIGGER refuse_deletes BEFORE DELETE ON datamachine_jobs FOR EACH ROW '
              "IF OLD.job_id = {job} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; "
              'END IF'),
}


def test_a_clear_that_fails_part_way_keeps_the_rows_of_its_committed_batches(
        app, backend, client, admin, monkeypatch):
    jobs = [insert_job('failed') for _ in range(5)]
    with db.database.connection_context():
        db.database.execute_sql(REFUSE_DELETE_OF[backend].format(job=jobs[-1]))
    change_settings(monkeypatch, app, clear_batch_size=2)
    try:
        response = client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed'})
    finally:
        with db.database.connection_context():
            db.database.execute_sql('DROP TRIGGER refuse_deletes')
    assert response.status_code == 500
    [record] = records(client, admin)['data']
    assert (record['outcome'], record['rows_deleted']) == (
        'failed', {'jobs': 4, 'processed_items': 0})
    assert count_rows(Job) == 1


def test_listing_filters_pages_and_validates(app, client, admin):
    other = basic('ops', create_account(app, 'ops', 'administrator'))
    for headers in (admin, other, admin):
        insert_job('failed')
        assert client.delete(f'{API}/jobs', headers=headers,
                             json={'type': 'failed'}).status_code == 200
    assert client.delete(f'{API}/processed-items', headers=admin,
                         json={'clear_type': 'pipeline', 'target_id': 9}).status_code == 200

    everything = records(client, admin)['data']
    assert [r['id'] for r in everything] == sorted((r['id'] for r in everything), reverse=True)
    mine = records(client, admin, '?username=admin&action=jobs.clear')
    assert mine['total'] == 2 and {r['username'] for r in mine['data']} == {'admin'}
    page = client.get(f'{API}/audit?per_page=2&offset=2', headers=admin)
    assert [r['id'] for r in page.get_json()['data']] == [r['id'] for r in everything[2:4]]
    assert page.headers['X-WP-Total'] == '4' and page.headers['X-WP-TotalPages'] == '2'

    bad = client.get(f'{API}/audit?action=drop&per_page=500', headers=admin)
    assert bad.status_code == 400
    assert bad.get_json()['data']['params'] == {
        'action': 'action must be one of: jobs.clear, processed_items.clear, '
                  'processed_items.delete, jobs.delete, jobs.recover_stuck, retention.run.',
        'per_page': 'per_page must be an integer from 1 to 100.'}
    assert client.get(f'{API}/audit').status_code == 401


def test_command_line_clears_are_recorded_and_listed(app, client, admin):
    insert_items(insert_job('failed'), 2)
    runner = app.test_cli_runner()
    assert runner.invoke(args=['jobs', 'clear', '--type', 'failed', '--cleanup-processed',
                               '--yes']).exit_code == 0
    assert runner.invoke(args=['processed-items', 'clear', '--clear-type', 'flow',
                               '--target-id', '1', '--yes']).exit_code == 0
    listed = runner.invoke(args=['audit', 'list', '--json'])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[-1] == '2 of 2 records'
    newest, oldest = (json.loads(line) for line in lines[:2])
    assert newest == records(client, admin)['data'][0]
    assert (oldest['via'], oldest['username'], oldest['remote_addr'], oldest['app_password']) == (
        'cli', getpass.getuser(), None, None)
    assert (oldest['parameters'], oldest['rows_deleted'], oldest['outcome']) == (
        {'type': 'failed', 'cleanup_processed': True}, {'jobs': 1, 'processed_items': 2},
        'completed')

    table = runner.invoke(args=['audit', 'list', '--action', 'jobs.clear']).output.splitlines()
    assert table[0].split('\t') == ['id', 'created_at', 'action', 'via', 'username',
                                    'app_password', 'remote_addr', 'request_id', 'process',
                                    'parameters', 'outcome', 'rows_deleted']
    assert table[1].split('\t')[2:] == [
        'jobs.clear', 'cli', getpass.getuser(), '-', '-', '-', PROCESS,
        '{"type":"failed","cleanup_processed":true}', 'completed',
        '{"jobs":1,"processed_items":2}']
    assert table[2] == '1 of 1 records'


@pytest.mark.parametrize('clear, rows', [
    ({'type': 'all', 'cleanup_processed': True}, {'jobs': 2, 'processed_items': 3}),
    ({'type': 'failed'}, {'jobs': 1, 'processed_items': 0})])
def test_deleted_rows_are_counted_in_the_metrics(client, admin, clear, rows):
    insert_items(insert_job('failed'), 1)
    insert_items(insert_job('completed'), 2)
    before = scrape(client)
    assert client.delete(f'{API}/jobs', headers=admin, json=clear).status_code == 200
    after = scrape(client)
    for table, count in rows.items():
        assert delta(before, after, 'datamachine_rows_deleted_total', table=table) == count
