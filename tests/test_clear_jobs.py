"""DELETE /jobs: what is deleted, what stays, parameter forms, errors and interrupted clears."""
import json
import threading
import time

import peewee
import pytest
from support import API, change_settings, count_rows, insert_items, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import Job, ProcessedItem
from datamachine_jobs.services import clearing, jobs

STATUSES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
            'agent_skipped - duplicate content', 'failed', 'failed - timeout', 'Failed - Rate']


@pytest.fixture
def mixed(app):
    """One job per status, each with two processed items; returns {status: job_id}."""
    jobs = {status: insert_job(status) for status in STATUSES}
    for job_id in jobs.values():
        insert_items(job_id, 2)
    return jobs


def clear(client, headers, body):
    return client.delete(f'{API}/jobs', headers=headers, json=body)


def remaining_statuses():
    with db.database.connection_context():
        return sorted(status for (status,) in Job.select(Job.status).tuples())


def test_clear_failed_deletes_every_failed_form_only(client, admin, mixed):
    response = clear(client, admin, {'type': 'failed'})
    assert response.status_code == 200
    assert response.get_json() == {'success': True, 'message': 'Jobs cleared successfully.',
                                   'jobs_deleted': 3, 'processed_items_cleaned': 0}
    assert remaining_statuses() == sorted(s for s in STATUSES if not s.lower().startswith('fail'))
    assert count_rows(ProcessedItem) == 2 * len(STATUSES)  # kept on purpose: they stop reprocessing


def test_clear_failed_with_cleanup_removes_exactly_their_items(client, admin, mixed):
    failed_ids = [mixed[s] for s in ('failed', 'failed - timeout', 'Failed - Rate')]
    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': True})
    assert response.get_json()['jobs_deleted'] == 3
    assert response.get_json()['processed_items_cleaned'] == 6
    assert count_rows(ProcessedItem, ProcessedItem.job_id.in_(failed_ids)) == 0
    assert count_rows(ProcessedItem) == 2 * (len(STATUSES) - 3)


def test_clear_all_with_cleanup(client, admin, mixed):
    unrelated = insert_items(987654, 3)  # items of a job deleted long ago stay
    response = clear(client, admin, {'type': 'all', 'cleanup_processed': True})
    assert response.get_json() == {'success': True, 'message': 'Jobs cleared successfully.',
                                   'jobs_deleted': len(STATUSES),
                                   'processed_items_cleaned': 2 * len(STATUSES)}
    assert count_rows(Job) == 0
    assert count_rows(ProcessedItem) == len(unrelated)


def test_clear_all_without_cleanup_keeps_items(client, admin, mixed):
    response = clear(client, admin, {'type': 'all'})
    assert response.get_json()['jobs_deleted'] == len(STATUSES)
    assert response.get_json()['processed_items_cleaned'] == 0
    assert count_rows(Job) == 0 and count_rows(ProcessedItem) == 2 * len(STATUSES)


def test_clear_on_empty_table(client, admin):
    response = clear(client, admin, {'type': 'all', 'cleanup_processed': True})
    assert response.get_json()['jobs_deleted'] == 0


def test_clear_works_in_batches(client, admin, app, monkeypatch):
    change_settings(monkeypatch, app, clear_batch_size=2)
    for n in range(7):
        insert_items(insert_job('failed' if n % 3 else 'completed'), 1)
    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': True})
    assert response.get_json()['jobs_deleted'] == 4
    assert response.get_json()['processed_items_cleaned'] == 4
    assert remaining_statuses() == ['completed'] * 3


@pytest.mark.parametrize('value, cleans', [
    (True, True), (False, False), (1, True), (0, False), ('true', True), ('TRUE', True),
    ('false', False), ('False', False), ('1', True), ('0', False)])
def test_cleanup_processed_spellings_in_json(client, admin, value, cleans):
    insert_items(insert_job('failed'), 2)
    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': value})
    assert response.status_code == 200
    assert response.get_json()['processed_items_cleaned'] == (2 if cleans else 0)


@pytest.mark.parametrize('how', ['form', 'query', 'json-without-content-type', 'query+json'])
def test_parameters_from_form_query_or_bare_json(client, admin, how):
    insert_items(insert_job('failed'), 2)
    url = f'{API}/jobs'
    if how == 'form':
        response = client.delete(url, headers=admin,
                                 data={'type': 'failed', 'cleanup_processed': '1'})
    elif how == 'query':
        response = client.delete(f'{url}?type=failed&cleanup_processed=true', headers=admin)
    elif how == 'json-without-content-type':  # curl -d without -H: form content type, JSON body
        response = client.delete(url, headers=admin,
                                 data='{"type": "failed", "cleanup_processed": true}',
                                 content_type='application/x-www-form-urlencoded')
    else:  # the JSON body wins over the query string
        response = client.delete(f'{url}?type=all&cleanup_processed=false', headers=admin,
                                 json={'type': 'failed', 'cleanup_processed': True})
    assert response.status_code == 200
    assert response.get_json()['jobs_deleted'] == 1
    assert response.get_json()['processed_items_cleaned'] == 2


@pytest.mark.parametrize('body', [{}, {'cleanup_processed': True}, {'type': ''}, {'type': None}])
def test_missing_type(client, admin, body):
    response = clear(client, admin, body)
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'rest_missing_callback_param', 'message': 'Missing parameter(s): type',
        'data': {'status': 400, 'params': ['type']}}


@pytest.mark.parametrize('value', ['everything', 'ALL', 'Failed', 1, True, ['all'], {'a': 1}])
def test_invalid_type_is_answered_as_the_spec_shows(client, admin, value):
    insert_job('failed')
    response = clear(client, admin, {'type': value, 'cleanup_processed': 'maybe'})
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'invalid_type', 'message': "Invalid type parameter. Must be 'all' or 'failed'.",
        'data': {'status': 400}}
    assert count_rows(Job) == 1


@pytest.mark.parametrize('value', ['maybe', 'yes', 2, -1, 0.5, [], {'x': 1}, 'on'])
def test_invalid_cleanup_processed(client, admin, value):
    insert_job('failed')
    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': value})
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'rest_invalid_param', 'message': 'Invalid parameter(s): cleanup_processed',
        'data': {'status': 400, 'params': {
            'cleanup_processed': 'cleanup_processed must be a boolean: true, false, 1 or 0.'}}}
    assert count_rows(Job) == 1


@pytest.mark.parametrize('raw', ['{"type": ', '{"type": "all",}', "{'type': 'all'}"])
def test_malformed_json(client, admin, raw):
    insert_job()
    response = client.delete(f'{API}/jobs', headers=admin, data=raw,
                             content_type='application/json')
    assert response.status_code == 400
    body = response.get_json()
    assert body['code'] == 'rest_invalid_json'
    assert body['message'] == 'Invalid JSON body passed.'
    assert body['data']['status'] == 400
    assert count_rows(Job) == 1


@pytest.mark.parametrize('raw', ['["all"]', '"all"', '3'])
def test_json_body_must_be_an_object(client, admin, raw):
    response = client.delete(f'{API}/jobs', headers=admin, data=raw,
                             content_type='application/json')
    assert response.status_code == 400
    assert response.get_json() == {'code': 'rest_invalid_json',
                                   'message': 'The JSON body must be an object.',
                                   'data': {'status': 400}}


def test_interrupted_clear_leaves_no_orphans_and_a_rerun_finishes(
        client, admin, app, monkeypatch, trigger):
    change_settings(monkeypatch, app, clear_batch_size=2)
    jobs = [insert_job('failed') for _ in range(6)]
    for job_id in jobs:
        insert_items(job_id, 2)
    trigger('fail_on_fifth', 'BEFORE DELETE', 'datamachine_jobs', f'old.job_id = {jobs[4]}',
            "SELECT RAISE(ABORT, 'injected failure')",
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'")

    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': True})

    assert response.status_code == 500
    assert response.get_json() == {'code': 'internal_error',
                                   'message': 'An unexpected error occurred.',
                                   'data': {'status': 500}}
    assert 'injected' not in response.get_data(as_text=True)
    # The first two batches went whole; the third was rolled back whole.
    with db.database.connection_context():
        left = [job_id for (job_id,) in Job.select(Job.job_id).order_by(Job.job_id).tuples()]
        item_jobs = sorted(j for (j,) in ProcessedItem.select(ProcessedItem.job_id).tuples())
    assert left == jobs[4:]
    assert item_jobs == sorted(jobs[4:] * 2)

    with db.database.connection_context():
        db.database.execute_sql('DROP TRIGGER fail_on_fifth')
    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': True})
    assert response.get_json()['jobs_deleted'] == 2
    assert response.get_json()['processed_items_cleaned'] == 4
    assert count_rows(Job) == 0 and count_rows(ProcessedItem) == 0


def test_job_created_while_a_clear_runs_survives(client, admin, app, monkeypatch, trigger):
    change_settings(monkeypatch, app, clear_batch_size=2)
    jobs = [insert_job('failed') for _ in range(5)]
    first_items = insert_items(jobs[0], 1)
    for job_id in jobs[1:]:
        insert_items(job_id, 1)
    # Deleting the first batch's items inserts a new job in the middle of the clear.
    trigger('job_arrives', 'AFTER DELETE', 'datamachine_processed_items',
            f'old.id = {first_items[0]}',
            "INSERT INTO datamachine_jobs (pipeline_id, flow_id, status) VALUES (9, 9, 'pending')",
            "INSERT INTO datamachine_jobs (pipeline_id, flow_id, status) VALUES (9, 9, 'pending')")

    response = clear(client, admin, {'type': 'failed', 'cleanup_processed': True})

    assert response.get_json()['jobs_deleted'] == 5
    assert response.get_json()['processed_items_cleaned'] == 5
    with db.database.connection_context():
        survivors = list(Job.select(Job.job_id, Job.flow_id, Job.status).tuples())
    assert len(survivors) == 1
    assert survivors[0][0] > max(jobs) and survivors[0][1:] == (9, 'pending')


def test_deleted_job_ids_are_never_reused(client, admin):
    newest = insert_job()
    clear(client, admin, {'type': 'all'})
    assert insert_job() > newest


def test_get_then_delete_round_trip_matches_spec_example(client, admin):
    """The spec's JavaScript clearJobs() sends {type} as JSON and reads `success`."""
    insert_job('failed')
    response = client.delete(f'{API}/jobs', headers=admin, data=json.dumps({'type': 'failed'}),
                             content_type='application/json;charset=utf-8')
    assert response.get_json()['success'] is True


@pytest.mark.parametrize('backend', ['mysql'], indirect=True, scope='session')
def test_a_batch_rolled_back_to_break_a_deadlock_runs_again(client, admin, app, monkeypatch):
    """MariaDB rolls a deadlocked transaction back whole (SQLite, with one writer at a time,
    has no deadlocks); the clear runs that batch again and counts each job once."""
    from pymysql.err import OperationalError as DriverError

    from datamachine_jobs.services import batches

    change_settings(monkeypatch, app, clear_batch_size=2)
    jobs = [insert_job('failed') for _ in range(5)]
    real_locking, failures = batches.locking, []

    def deadlocking_once(query):
        if len(failures) < 1:
            failures.append(1)
            raise peewee.OperationalError(DriverError(db.DEADLOCK, 'Deadlock found'))
        return real_locking(query)

    monkeypatch.setattr(batches, 'locking', deadlocking_once)
    response = clear(client, admin, {'type': 'failed'})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()['jobs_deleted'] == len(jobs) and failures == [1]
    assert count_rows(Job) == 0


def slowly(seconds, events):
    """A clear's progress callback that holds each batch's transaction `seconds` longer."""
    def progress(jobs, processed_items):
        time.sleep(seconds)
        events.append(jobs)
    return progress


def test_a_writer_gets_its_turn_between_the_batches_of_a_clear(app):
    """A runner writing while a long clear runs waits for one batch, not for the whole clear:
    its writes land between the batches (on SQLite each batch holds the one write lock)."""
    bound = max(insert_job('failed') for _ in range(40))
    events, stop = [], threading.Event()

    def runner():
        with app.app_context():
            while not stop.is_set():
                with db.database.connection_context():
                    jobs.create_job(1, 2)
                events.append('write')

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        with app.app_context(), db.database.connection_context():
            clearing.clear_jobs(True, False, 4, bound, slowly(0.05, events))
    finally:
        stop.set()
        thread.join(30)
    between = ''.join('w' if event == 'write' else 'b' for event in events).strip('w')
    gaps = between.split('b')[1:-1]
    assert len(gaps) == 9  # ten batches of four
    assert sum(1 for gap in gaps if gap) >= 6, between


def test_batches_shrink_when_they_take_long(app):
    """Batches are sized to take about 0.1 s each, within the configured largest size."""
    with db.database.connection_context():
        Job.insert_many([{'pipeline_id': 1, 'flow_id': 1, 'status': 'failed'}] * 2000).execute()
    sizes = []
    with app.app_context(), db.database.connection_context():
        clearing.clear_jobs(True, False, 10000, clearing.job_bound(), slowly(0.2, sizes))
    assert sum(sizes) == 2000 and sizes[0] == 1000  # the first: at most 1,000
    shrinking = sizes[:sizes.index(100)]
    assert len(shrinking) >= 3 and all(  # each batch took over 0.2 s: the next is half or less
        later <= earlier / 2 for earlier, later in zip(shrinking, shrinking[1:], strict=False))
    assert all(size == 100 for size in sizes[len(shrinking):-1])  # down to 100 at the least
