"""Retrying a job, cancelling one, and deleting one: each with its validation, its answer and
what it leaves in the database."""
import pytest
from support import API, count_rows, insert_items, insert_job

from datamachine_jobs.models import AuditRecord, Job, ProcessedItem


def edit_view(client, headers, job_id):
    return client.get(f'{API}/jobs/{job_id}?context=edit', headers=headers).get_json()['data']


def test_a_retry_is_a_new_pending_job_linked_to_the_original(client, admin):
    original = insert_job('failed - timeout', pipeline_id=5, flow_id=42,
                          error_message='no answer')
    response = client.post(f'{API}/jobs/{original}/retry', headers=admin)
    assert response.status_code == 201
    retry = response.get_json()['data']
    assert response.headers['Location'] == f'{API}/jobs/{retry["job_id"]}'
    assert retry['job_id'] > original
    assert {key: retry[key] for key in ('flow_id', 'pipeline_id', 'status', 'started_at',
                                        'completed_at', 'error_message', 'retry_of',
                                        'attempts', 'claimed_by')} == {
        'flow_id': 42, 'pipeline_id': 5, 'status': 'pending', 'started_at': None,
        'completed_at': None, 'error_message': None, 'retry_of': original, 'attempts': 1,
        'claimed_by': None}
    # The original stays as history, and the retries of a job are a filter of the list.
    assert edit_view(client, admin, original)['status'] == 'failed - timeout'
    again = client.post(f'{API}/jobs/{original}/retry', headers=admin).get_json()['data']
    listed = client.get(f'{API}/jobs?retry_of={original}&order=ASC', headers=admin).get_json()
    assert [job['job_id'] for job in listed['data']] == [retry['job_id'], again['job_id']]
    assert listed['total'] == 2
    assert client.get(f'{API}/jobs?retry_of={retry["job_id"]}',
                      headers=admin).get_json()['total'] == 0


def test_only_a_finished_job_is_retried_unless_forced(client, admin):
    running = insert_job('processing')
    refused = client.post(f'{API}/jobs/{running}/retry', headers=admin)
    assert refused.status_code == 409
    assert refused.get_json() == {
        'code': 'job_not_final',
        'message': "Only a finished job is retried; this one is 'processing'. Send force=true "
                   'to retry it anyway.',
        'data': {'status': 409, 'current_status': 'processing'}}
    assert count_rows(Job) == 1
    forced = client.post(f'{API}/jobs/{running}/retry', headers=admin, json={'force': True})
    assert forced.status_code == 201 and forced.get_json()['data']['retry_of'] == running
    missing = client.post(f'{API}/jobs/{running + 100}/retry', headers=admin)
    assert missing.status_code == 404 and missing.get_json()['code'] == 'job_not_found'
    typo = client.post(f'{API}/jobs/{running}/retry', headers=admin, json={'froce': True})
    assert typo.status_code == 400 and list(typo.get_json()['data']['params']) == ['froce']
    assert count_rows(Job) == 2


def test_a_retry_with_an_idempotency_key_is_made_once(client, admin):
    original = insert_job('failed')
    headers = {**admin, 'Idempotency-Key': 'retry-1'}
    first = client.post(f'{API}/jobs/{original}/retry', headers=headers)
    second = client.post(f'{API}/jobs/{original}/retry', headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert count_rows(Job, Job.retry_of == original) == 1


@pytest.mark.parametrize('start', ['pending', 'processing'])
def test_a_job_can_be_cancelled_and_then_never_changes(client, admin, start):
    job_id = insert_job(start)
    response = client.patch(f'{API}/jobs/{job_id}', headers=admin,
                            json={'status': 'cancelled - operator request'})
    assert response.status_code == 200
    job = response.get_json()['data']
    assert job['status'] == 'cancelled - operator request' and job['completed_at'] is not None
    later = client.patch(f'{API}/jobs/{job_id}', headers=admin, json={'status': 'completed'})
    assert later.status_code == 409
    assert later.get_json()['data']['current_status'] == 'cancelled - operator request'


def test_cancelled_jobs_count_in_summaries_and_filters_but_not_in_the_success_rate(client,
                                                                                  admin):
    for status in ('completed', 'failed', 'cancelled', 'cancelled - superseded', 'pending'):
        insert_job(status)
    summary = client.get(f'{API}/jobs/summary', headers=admin).get_json()['data']
    assert summary['total'] == 5
    assert summary['by_status'] == {'pending': 1, 'processing': 0, 'completed': 1,
                                    'completed_no_items': 0, 'agent_skipped': 0, 'failed': 1,
                                    'cancelled': 2}
    assert summary['success_rate'] == 0.5  # completed over completed and failed
    listed = client.get(f'{API}/jobs?status=cancelled', headers=admin).get_json()
    assert listed['total'] == 2
    assert {job['status'] for job in listed['data']} == {'cancelled', 'cancelled - superseded'}
    # A cancelled job is finished: an age-limited clear takes it.
    cleared = client.delete(f'{API}/jobs', headers=admin, json={
        'type': 'all', 'older_than': '1d', 'dry_run': True}).get_json()
    assert cleared['by_status']['cancelled'] == 2 and cleared['jobs_matched'] == 4


def test_deleting_one_job_keeps_its_items_unless_asked_and_is_audited(client, admin):
    kept, cleaned, other = insert_job(), insert_job(), insert_job()
    insert_items(kept, 2)
    insert_items(cleaned, 3)
    insert_items(other, 1)

    response = client.delete(f'{API}/jobs/{kept}', headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {'success': True, 'message': 'Job deleted successfully.',
                                   'job_id': kept, 'jobs_deleted': 1,
                                   'processed_items_cleaned': 0}
    assert count_rows(ProcessedItem, ProcessedItem.job_id == kept) == 2

    response = client.delete(f'{API}/jobs/{cleaned}', headers=admin,
                             json={'cleanup_processed': True})
    assert response.get_json()['processed_items_cleaned'] == 3
    assert count_rows(ProcessedItem, ProcessedItem.job_id == cleaned) == 0
    assert [job['job_id'] for job in client.get(f'{API}/jobs', headers=admin)
            .get_json()['data']] == [other]
    assert count_rows(ProcessedItem) == 3
    assert client.get(f'{API}/jobs/summary', headers=admin).get_json()['data']['total'] == 1

    records = client.get(f'{API}/audit?action=jobs.delete', headers=admin).get_json()['data']
    assert [(r['parameters'], r['outcome'], r['rows_deleted']) for r in records] == [
        ({'cleanup_processed': True, 'job_id': cleaned}, 'completed',
         {'jobs': 1, 'processed_items': 3}),
        ({'job_id': kept}, 'completed', {'jobs': 1, 'processed_items': 0})]


@pytest.mark.parametrize('job_id, audited', [(999999, 1), (2**63, 0), (2**70, 0)])
def test_deleting_an_unknown_job_is_404_and_deletes_nothing(client, admin, job_id, audited):
    """An id no row can have is refused before the view, unaudited; a storable one is audited
    as a failed attempt."""
    job = insert_job()
    insert_items(job, 1)
    response = client.delete(f'{API}/jobs/{job_id}', headers=admin,
                             json={'cleanup_processed': True})
    assert response.status_code == 404
    assert response.get_json()['code'] == 'job_not_found'
    assert (count_rows(Job), count_rows(ProcessedItem)) == (1, 1)
    assert count_rows(AuditRecord, AuditRecord.outcome == 'failed') == audited


def test_deleting_one_job_refuses_unknown_parameters(client, admin):
    job = insert_job()
    response = client.delete(f'{API}/jobs/{job}', headers=admin, json={'cleanup': True})
    assert response.status_code == 400
    assert list(response.get_json()['data']['params']) == ['cleanup']
    assert count_rows(Job) == 1
