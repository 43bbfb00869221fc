"""Clears that outlive their request: `Prefer: respond-async` on DELETE /jobs and
DELETE /processed-items answers 202 with the queued operation, which a thread carries out to the
same end as a clear that was waited for; GET /operations follows it, DELETE cancels it between
batches; an operation whose lease expired is taken over by one process only, and
`datamachine-jobs operations resume` finishes the ones left behind. Without the preference
nothing changes."""
import itertools
import json
import threading

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
    wait_for,
)

from datamachine_jobs import db
from datamachine_jobs.api import operations as operation_routes
from datamachine_jobs.models import AsyncOperation, AuditRecord, Job, ProcessedItem
from datamachine_jobs.services import audit, clearing, operations
from datamachine_jobs.vocabulary import JOBS_CLEAR, MAX_ID

ASYNC = {'Prefer': 'respond-async'}
LIVE = ('queued', 'running')


def asked(headers):
    return {**headers, **ASYNC}


def follow(client, admin, location, seconds=30):
    """The operation at `location` once it has ended."""
    seen = {}

    def ended():
        response = client.get(location, headers=admin)
        assert response.status_code == 200, response.get_json()
        seen.update(response.get_json()['data'])
        return seen['state'] not in LIVE

    wait_for(ended, f'{location} to end', seconds)
    return seen


def audit_records(client, admin):
    return client.get(f'{API}/audit', headers=admin).get_json()['data']


@pytest.fixture
def held(monkeypatch):
    """Operations are queued but no thread takes them up, as when the worker that answered died
    at once; return the ids it would have started."""
    started = []
    monkeypatch.setattr(operations, 'in_background',
                        lambda operation_id, *args: started.append(operation_id))
    return started


@pytest.fixture
def between_batches(monkeypatch):
    """Hold the clears before their second batch: (held there, let go)."""
    reached, go = threading.Event(), threading.Event()
    real = clearing.delete_in_batches

    def gated(query, key, batch_size, delete, proceed=None):
        calls = itertools.count()

        def gate():
            if next(calls) == 1:
                reached.set()
                assert go.wait(30), 'the test never let the clear go on'
            return proceed is None or proceed()

        return real(query, key, batch_size, delete, gate)

    monkeypatch.setattr(clearing, 'delete_in_batches', gated)
    yield reached, go
    go.set()


def some_jobs(failed=6, completed=4, items_each=2):
    """Failed and completed jobs with processed items; return the failed ones' ids."""
    failed_ids = [insert_job('failed - timeout', flow_id=3) for _ in range(failed)]
    for job in failed_ids + [insert_job('completed', flow_id=3) for _ in range(completed)]:
        insert_items(job, items_each, flow_id=3)
    return failed_ids


def test_a_queued_clear_completes_with_exact_counts_and_its_answer(client, admin, app,
                                                                   monkeypatch):
    change_settings(monkeypatch, app, clear_batch_size=4)
    failed = some_jobs()
    before = scrape(client)
    body = {'type': 'failed', 'cleanup_processed': True}
    response = client.delete(f'{API}/jobs', headers=asked(admin), json=body)

    assert response.status_code == 202, response.get_json()
    queued = response.get_json()['data']
    assert response.headers['Location'] == f'{API}/operations/{queued["id"]}'
    assert response.headers['Preference-Applied'] == 'respond-async'
    assert {key: queued[key] for key in ('action', 'state', 'parameters', 'bound', 'rows_done',
                                         'rows_matched', 'result', 'audit_id')} == {
        'action': 'jobs.clear', 'state': 'queued', 'parameters': body, 'bound': failed[-1] + 4,
        'rows_done': {'jobs': 0, 'processed_items': 0}, 'rows_matched': None, 'result': None,
        'audit_id': None}

    done = follow(client, admin, response.headers['Location'])
    rows = {'jobs': 6, 'processed_items': 12}
    assert done['state'] == 'completed' and done['error'] is None
    assert done['rows_matched'] == done['rows_done'] == rows
    assert done['result'] == {'success': True, 'message': 'Jobs cleared successfully.',
                              'jobs_deleted': 6, 'processed_items_cleaned': 12}
    assert done['created_at'] <= done['started_at'] <= done['finished_at']
    assert count_rows(Job) == 4 and count_rows(ProcessedItem) == 8
    assert count_rows(Job, Job.job_id.in_(failed)) == 0
    [record] = audit_records(client, admin)
    assert (record['id'], record['outcome'], record['rows_deleted'], record['parameters']) == (
        done['audit_id'], 'completed', rows, body)
    assert (record['username'], record['request_id']) == ('admin', response.headers[
        'X-Request-ID'])
    wait_for(lambda: delta(before, scrape(client), 'datamachine_rows_deleted_total',
                           table='processed_items') == 12, 'the deleted rows to be counted')
    assert delta(before, scrape(client), 'datamachine_rows_deleted_total', table='jobs') == 6


def test_a_queued_clear_of_processed_items_answers_as_the_clear_would(client, admin):
    job = insert_job('completed', flow_id=7)
    insert_items(job, 5, flow_id=7)
    insert_items(insert_job('completed', flow_id=8), 2, flow_id=8)
    response = client.delete(f'{API}/processed-items', headers=asked(admin),
                             json={'clear_type': 'flow', 'target_id': 7})
    assert response.status_code == 202
    done = follow(client, admin, response.headers['Location'])
    assert (done['action'], done['state']) == ('processed_items.clear', 'completed')
    assert done['rows_matched'] == done['rows_done'] == {'jobs': 0, 'processed_items': 5}
    assert done['result'] == {'success': True, 'data': None, 'items_deleted': 5,
                              'message': 'Deleted 5 deduplication tracking records.'}
    assert count_rows(ProcessedItem) == 2
    [record] = audit_records(client, admin)
    assert (record['outcome'], record['rows_deleted']) == ('completed', {'processed_items': 5})


def test_rows_made_after_the_request_are_kept_by_the_resumed_operation(client, admin, app,
                                                                       held):
    """The worker died at once; jobs and records made since are kept by
    `datamachine-jobs operations resume`, which finishes it."""
    failed = some_jobs(failed=3, completed=0)
    jobs = client.delete(f'{API}/jobs', headers=asked(admin),
                         json={'type': 'failed', 'cleanup_processed': True})
    items = client.delete(f'{API}/processed-items', headers=asked(admin),
                          json={'clear_type': 'flow', 'target_id': 3})
    assert (jobs.status_code, items.status_code) == (202, 202)
    assert held == [jobs.get_json()['data']['id'], items.get_json()['data']['id']]
    later = insert_job('failed', flow_id=3)
    later_items = insert_items(later, 2, flow_id=3)

    output = app.test_cli_runner().invoke(args=['operations', 'resume'])
    assert output.exit_code == 0, output.output
    assert output.output == (f'operation {held[0]}: completed\n'
                             f'operation {held[1]}: completed\n')
    with db.database.connection_context():
        assert [job for (job,) in Job.select(Job.job_id).tuples()] == [later]
        assert sorted(i for (i,) in ProcessedItem.select(ProcessedItem.id).tuples()) == \
            later_items
    assert count_rows(Job, Job.job_id.in_(failed)) == 0
    assert follow(client, admin, jobs.headers['Location'])['rows_done'] == {
        'jobs': 3, 'processed_items': 6}
    assert follow(client, admin, items.headers['Location'])['rows_done'] == {
        'jobs': 0, 'processed_items': 0}  # the job clear took them first
    assert app.test_cli_runner().invoke(args=['operations', 'resume']).output == \
        'Nothing to resume.\n'


def test_cancel_stops_a_running_clear_after_its_batch(client, admin, app, monkeypatch,
                                                      between_batches):
    reached, go = between_batches
    change_settings(monkeypatch, app, clear_batch_size=3)
    for _ in range(12):
        insert_job('failed')
    response = client.delete(f'{API}/jobs', headers=asked(admin), json={'type': 'failed'})
    location = response.headers['Location']
    assert reached.wait(30)

    cancelling = client.delete(location, headers=admin)
    assert cancelling.status_code == 202, cancelling.get_json()
    assert cancelling.get_json()['data']['state'] == 'running'
    assert cancelling.get_json()['data']['cancel_requested_at'] is not None
    go.set()
    done = follow(client, admin, location)
    assert done['state'] == 'cancelled' and done['result'] is None
    assert done['rows_matched'] == {'jobs': 12, 'processed_items': 0}
    assert done['rows_done'] == {'jobs': 3, 'processed_items': 0}
    assert count_rows(Job) == 9  # what it deleted stays deleted, nothing more
    [record] = audit_records(client, admin)
    assert (record['outcome'], record['rows_deleted']) == (
        'cancelled', {'jobs': 3, 'processed_items': 0})

    again = client.delete(location, headers=admin)
    assert again.status_code == 409
    assert again.get_json() == {'code': 'operation_finished', 'message': 'The operation has '
                                'already ended (cancelled).',
                                'data': {'status': 409, 'state': 'cancelled'}}


def test_a_queued_operation_cancelled_never_runs(client, admin, app, held):
    insert_job('failed')
    location = client.delete(f'{API}/jobs', headers=asked(admin),
                             json={'type': 'all'}).headers['Location']
    response = client.delete(location, headers=admin)
    assert response.status_code == 200
    cancelled = response.get_json()['data']
    assert cancelled['state'] == 'cancelled'
    assert cancelled['finished_at'] == cancelled['cancel_requested_at'] is not None
    assert app.test_cli_runner().invoke(args=['operations', 'resume']).output == \
        'Nothing to resume.\n'
    with db.database.connection_context():
        assert operations.run(held[0], 10) is None  # its thread, starting late, leaves it
    assert count_rows(Job) == 1 and count_rows(AuditRecord) == 0


def test_a_failing_clear_ends_failed_keeping_its_whole_batches(client, admin, app, monkeypatch,
                                                               caplog):
    change_settings(monkeypatch, app, clear_batch_size=2)
    real = clearing.delete_in_batches

    def failing_second(query, key, batch_size, delete, proceed=None):
        calls = itertools.count()

        def gate():
            if next(calls) == 1:
                raise RuntimeError('disk on fire')
            return proceed()

        return real(query, key, batch_size, delete, gate)

    monkeypatch.setattr(clearing, 'delete_in_batches', failing_second)
    for _ in range(5):
        insert_job('failed')
    location = client.delete(f'{API}/jobs', headers=asked(admin),
                             json={'type': 'failed'}).headers['Location']
    done = follow(client, admin, location)
    assert done['state'] == 'failed' and done['result'] is None
    assert done['error'] == ('An unexpected error stopped the operation part-way through; the '
                             'batches deleted until then stay deleted. Send the clear again to '
                             'finish it.')
    assert done['rows_done'] == {'jobs': 2, 'processed_items': 0} and count_rows(Job) == 3
    [record] = audit_records(client, admin)
    assert (record['outcome'], record['rows_deleted']) == ('failed', {'jobs': 2,
                                                                     'processed_items': 0})
    assert 'disk on fire' in caplog.text  # the detail goes to the log only


@pytest.mark.parametrize('method', ['get', 'delete'])
@pytest.mark.parametrize('operation_id', [1, 10**9, MAX_ID, MAX_ID + 1, 10**30])
def test_an_unknown_operation_is_a_404(client, admin, method, operation_id):
    response = client.open(f'{API}/operations/{operation_id}', method=method, headers=admin)
    assert response.status_code == 404
    assert response.get_json() == {'code': 'operation_not_found',
                                   'message': 'Operation not found.', 'data': {'status': 404}}


def test_a_completed_operation_cannot_be_cancelled(client, admin):
    location = client.delete(f'{API}/jobs', headers=asked(admin),
                             json={'type': 'all'}).headers['Location']
    assert follow(client, admin, location)['state'] == 'completed'
    response = client.delete(location, headers=admin)
    assert response.status_code == 409
    assert response.get_json()['data'] == {'status': 409, 'state': 'completed'}


@pytest.mark.parametrize('path, body, answer', [
    ('/jobs', {'type': 'failed', 'cleanup_processed': True},
     {'success': True, 'message': 'Jobs cleared successfully.', 'jobs_deleted': 6,
      'processed_items_cleaned': 12}),
    ('/processed-items', {'clear_type': 'flow', 'target_id': 3},
     {'success': True, 'data': None, 'message': 'Deleted 20 deduplication tracking records.',
      'items_deleted': 20}),
])
@pytest.mark.parametrize('prefer', [None, 'return=minimal', 'wait=10', 'respond-asynchronously',
                                    'handling=lenient; respond-async'])
def test_without_the_preference_a_clear_answers_as_before(client, admin, path, body, answer,
                                                          prefer):
    some_jobs()
    headers = admin if prefer is None else {**admin, 'Prefer': prefer}
    response = client.delete(f'{API}{path}', headers=headers, json=body)
    assert response.status_code == 200
    assert response.get_json() == answer
    assert 'Preference-Applied' not in response.headers and 'Location' not in response.headers
    assert count_rows(AsyncOperation) == 0


@pytest.mark.parametrize('prefer', ['respond-async', 'RESPOND-ASYNC', 'wait=10, respond-async',
                                    'respond-async; foo=bar', ' respond-async ,handling=strict'])
def test_the_preference_is_read_as_rfc_7240_spells_it(client, admin, held, prefer):
    response = client.delete(f'{API}/jobs', headers={**admin, 'Prefer': prefer},
                             json={'type': 'all'})
    assert response.status_code == 202 and len(held) == 1


def test_a_dry_run_and_invalid_input_are_answered_at_once(client, admin, held):
    some_jobs()
    preview = client.delete(f'{API}/jobs', headers=asked(admin),
                            json={'type': 'failed', 'cleanup_processed': True, 'dry_run': True})
    assert preview.status_code == 200 and preview.get_json()['jobs_matched'] == 6
    assert 'Preference-Applied' not in preview.headers
    invalid = client.delete(f'{API}/jobs', headers=asked(admin), json={'type': 'everything'})
    assert invalid.status_code == 400 and invalid.get_json()['code'] == 'invalid_type'
    unknown = client.delete(f'{API}/processed-items', headers=asked(admin),
                            json={'clear_type': 'flow', 'target_id': 3, 'dryRun': True})
    assert unknown.status_code == 400
    assert count_rows(AsyncOperation) == 0 and held == []
    assert count_rows(Job) == 10


def test_operations_are_listed_newest_first_in_pages(client, admin, held):
    ids = [client.delete(f'{API}/jobs', headers=asked(admin), json={'type': 'all'})
           .get_json()['data']['id'] for _ in range(3)]
    response = client.get(f'{API}/operations?per_page=2&offset=1', headers=admin)
    assert response.status_code == 200
    page = response.get_json()
    assert [operation['id'] for operation in page['data']] == [ids[1], ids[0]]
    assert (page['total'], page['per_page'], page['offset']) == (3, 2, 1)
    assert (response.headers['X-WP-Total'], response.headers['X-WP-TotalPages']) == ('3', '2')
    assert page['data'][0] == client.get(f'{API}/operations/{ids[1]}',
                                         headers=admin).get_json()['data']
    invalid = client.get(f'{API}/operations?per_page=101', headers=admin)
    assert invalid.status_code == 400 and invalid.get_json()['data']['params'] == {
        'per_page': 'per_page must be an integer from 1 to 100.'}


@pytest.mark.parametrize('method, path', [('get', '/operations'), ('get', '/operations/1'),
                                          ('delete', '/operations/1')])
def test_operations_are_for_administrators(client, app, method, path):
    editor = basic('ed', create_account(app, 'ed', 'editor'))
    assert client.open(f'{API}{path}', method=method).status_code == 401
    assert client.open(f'{API}{path}', method=method, headers=editor).status_code == 403


def test_a_repeat_with_its_idempotency_key_answers_the_same_operation(client, admin, held):
    headers = {**asked(admin), 'Idempotency-Key': 'nightly-1'}
    first = client.delete(f'{API}/jobs', headers=headers, json={'type': 'all'})
    again = client.delete(f'{API}/jobs', headers=headers, json={'type': 'all'})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json() == first.get_json()
    assert again.headers['Location'] == first.headers['Location']
    assert again.headers['Preference-Applied'] == 'respond-async'
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert count_rows(AsyncOperation) == 1 and held == [first.get_json()['data']['id']]


def age(operation_id, owner='gone.example:1'):
    """Make an operation look as if its process died long ago."""
    with db.database.connection_context():
        AsyncOperation.update(owner=owner, heartbeat_at='2000-01-01 00:00:00').where(
            AsyncOperation.id == operation_id).execute()


def test_an_expired_lease_is_claimed_by_one_process_and_finished(client, admin, held):
    insert_job('failed')
    location = client.delete(f'{API}/jobs', headers=asked(admin),
                             json={'type': 'all'}).headers['Location']
    with db.database.connection_context():
        assert operations.claim_expired(lease=30) == []  # its worker's lease is fresh
        age(held[0])
        assert operations.claim_expired(lease=30) == held
        assert operations.claim_expired(lease=30) == []  # claimed: the lease is fresh again
        assert operations.run(held[0], 10) == 'completed'
    done = follow(client, admin, location)
    assert (done['state'], done['rows_done']) == ('completed', {'jobs': 1, 'processed_items': 0})
    assert count_rows(Job) == 0


def test_a_live_runner_keeps_its_operation_when_its_lease_is_claimed(client, admin, app,
                                                                     monkeypatch,
                                                                     between_batches):
    """A runner silent for longer than the lease (a slow batch) still holds the audit record's
    lock: the claimant leaves the operation to it, and it is carried out once."""
    reached, go = between_batches
    change_settings(monkeypatch, app, clear_batch_size=2)
    for _ in range(6):
        insert_job('failed')
    location = client.delete(f'{API}/jobs', headers=asked(admin),
                             json={'type': 'failed'}).headers['Location']
    operation_id = int(location.rsplit('/', 1)[1])
    assert reached.wait(30)
    age(operation_id, owner=audit.this_process())
    with db.database.connection_context():
        assert operations.claim_expired(lease=30) == [operation_id]
        assert operations.run(operation_id, 2) is None
    go.set()
    done = follow(client, admin, location)
    assert (done['state'], done['rows_done']) == ('completed', {'jobs': 6, 'processed_items': 0})
    [record] = audit_records(client, admin)
    assert (record['outcome'], record['rows_deleted']) == ('completed', {'jobs': 6,
                                                                         'processed_items': 0})


def test_the_command_line_lists_operations(client, admin, app, held):
    client.delete(f'{API}/jobs', headers=asked(admin), json={'type': 'failed'})
    runner = app.test_cli_runner()
    table = runner.invoke(args=['operations', 'list'])
    assert table.exit_code == 0, table.output
    header, row = table.output.splitlines()[:2]
    assert header.split('\t') == list(operations.KEYS)
    assert row.split('\t')[1:4] == ['jobs.clear', 'queued', '{"type":"failed"}']
    lines = runner.invoke(args=['operations', 'list', '--json']).output.splitlines()
    assert json.loads(lines[0])['id'] == held[0]


def test_the_watch_takes_over_an_operation_whose_lease_expired(client, admin, app, monkeypatch):
    """What each gunicorn worker runs (gunicorn.conf.py): here with a one-second lease, over an
    operation queued by a process that died before its thread started."""
    change_settings(monkeypatch, app, operation_lease=1)
    insert_job('failed')
    with db.database.connection_context():
        queued = operations.enqueue(JOBS_CLEAR, {'type': 'all'}, {
            'failed_only': False, 'cleanup_processed': False}, {'via': 'http'})
    age(queued['id'])
    before = scrape(client)
    watching, stop = operation_routes.watch(app)
    try:
        done = follow(client, admin, f'{API}/operations/{queued["id"]}')
    finally:
        stop.set()
        watching.join(timeout=30)
    assert not watching.is_alive()
    assert (done['state'], done['rows_done']) == ('completed', {'jobs': 1, 'processed_items': 0})
    wait_for(lambda: delta(before, scrape(client), 'datamachine_rows_deleted_total',
                           table='jobs') == 1, 'the deleted rows to be counted')
