"""Idempotency-Key on the writing routes: a repeat with the same key and body answers what the
first request did without doing it again; the same key with another body is a 422; while a clear
holding the key still runs, a repeat is a 409; keys expire; the OpenAPI document's pattern is
the rule."""
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    API,
    basic,
    change_settings,
    count_rows,
    create_account,
    fail_every_job,
    insert_items,
    insert_job,
    matches_pattern,
    settings_of,
)

from datamachine_jobs import db
from datamachine_jobs.models import AuditRecord, IdempotencyKey, Job, ProcessedItem
from datamachine_jobs.schemas.headers import KEY_PATTERN, idempotency_key
from datamachine_jobs.services import idempotency, seed

SLOW_CLEAR_JOBS = 6000


def keyed(headers, key):
    return {**headers, 'Idempotency-Key': key}


def test_a_repeated_post_creates_one_job_and_answers_the_same(client, admin):
    first = client.post(f'{API}/jobs', headers=keyed(admin, 'k-1'),
                        json={'pipeline_id': 5, 'flow_id': 42})
    again = client.post(f'{API}/jobs', headers=keyed(admin, 'k-1'),
                        json={'flow_id': 42, 'pipeline_id': 5})  # same body, keys reordered
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers['Location'] == first.headers['Location']
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert 'Idempotent-Replayed' not in first.headers
    assert count_rows(Job) == 1


def test_concurrent_requests_with_one_key_create_one_job(app, admin):
    start, answers = threading.Barrier(6), []

    def post():
        client = app.test_client()
        start.wait(timeout=30)
        answers.append(client.post(f'{API}/jobs', headers=keyed(admin, 'race'),
                                   json={'pipeline_id': 1, 'flow_id': 1}))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * 6
    assert len({a.get_data() for a in answers}) == 1
    assert sum(a.headers.get('Idempotent-Replayed') == 'true' for a in answers) == 5
    assert count_rows(Job) == 1


def test_the_same_key_with_another_body_is_a_422(client, admin):
    assert client.post(f'{API}/jobs', headers=keyed(admin, 'k-2'),
                       json={'pipeline_id': 5, 'flow_id': 42}).status_code == 201
    response = client.post(f'{API}/jobs', headers=keyed(admin, 'k-2'),
                           json={'pipeline_id': 5, 'flow_id': 43})
    assert response.status_code == 422
    assert response.get_json() == {
        'code': 'idempotency_key_reused',
        'message': 'This Idempotency-Key was sent before with another request; use a new key '
                   'for a new request.', 'data': {'status': 422}}
    assert count_rows(Job) == 1


def test_the_same_key_on_another_route_is_a_422(client, admin):
    job = insert_job('pending')
    assert client.patch(f'{API}/jobs/{job}', headers=keyed(admin, 'k-3'),
                        json={'status': 'processing'}).status_code == 200
    assert client.post(f'{API}/jobs', headers=keyed(admin, 'k-3'),
                       json={'status': 'processing'}).status_code in (400, 422)
    assert client.patch(f'{API}/jobs/{insert_job("pending")}', headers=keyed(admin, 'k-3'),
                        json={'status': 'processing'}).status_code == 422


def test_keys_belong_to_their_user(app, client, admin):
    other = basic('ops', create_account(app, 'ops', 'administrator'))
    for headers in (admin, other):
        assert client.post(f'{API}/jobs', headers=keyed(headers, 'shared'),
                           json={'pipeline_id': 1, 'flow_id': 1}).status_code == 201
    assert count_rows(Job) == 2


def test_a_repeated_claim_answers_the_claim_not_a_409(client, admin):
    job = insert_job('pending')
    first = client.patch(f'{API}/jobs/{job}', headers=keyed(admin, 'claim-1'),
                         json={'status': 'processing'})
    again = client.patch(f'{API}/jobs/{job}', headers=keyed(admin, 'claim-1'),
                         json={'status': 'processing'})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json()
    without_key = client.patch(f'{API}/jobs/{job}', headers=admin, json={'status': 'processing'})
    assert without_key.status_code == 409


def test_a_repeated_batch_records_once_and_answers_the_records(client, admin):
    job = insert_job('processing')
    items = [{'flow_step_id': 's_1', 'source_type': 'rss', 'item_identifier': f'i{n}'}
             for n in range(3)]
    first = client.post(f'{API}/jobs/{job}/processed-items', headers=keyed(admin, 'b-1'),
                        json={'items': items})
    again = client.post(f'{API}/jobs/{job}/processed-items', headers=keyed(admin, 'b-1'),
                        json={'items': items})
    assert first.get_json()['created'] == 3
    assert again.get_json() == first.get_json()  # not "skipped: 3"
    assert count_rows(ProcessedItem) == 3


def test_an_answer_that_is_an_error_is_not_kept(client, admin):
    refused = client.post(f'{API}/jobs', headers=keyed(admin, 'k-4'), json={'pipeline_id': 1})
    assert refused.status_code == 400
    fixed = client.post(f'{API}/jobs', headers=keyed(admin, 'k-4'),
                        json={'pipeline_id': 1, 'flow_id': 1})
    assert fixed.status_code == 201 and count_rows(Job) == 1


def test_a_clear_refused_before_it_began_leaves_its_key_free(client, admin):
    insert_job('failed')
    refused = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-0'), json={'type': 'bogus'})
    assert refused.status_code == 400 and count_rows(IdempotencyKey) == 0
    fixed = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-0'), json={'type': 'failed'})
    assert fixed.status_code == 200 and fixed.get_json()['jobs_deleted'] == 1
    assert count_rows(Job) == 0 and count_rows(IdempotencyKey) == 1


def test_a_clear_that_ends_while_its_repeat_waits_answers_the_repeat(client, admin, monkeypatch):
    """The repeat found the clear unfinished; by the time it has the key's lock the clear has
    kept its answer, which the repeat then gives (instead of resuming a finished clear)."""
    insert_job('failed')
    body = {'type': 'failed'}
    first = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-2'), json=body)
    with db.database.connection_context():
        kept = IdempotencyKey.get()
        IdempotencyKey.update(status_code=None).execute()  # as it was while the clear ran
    acquire = idempotency.locks.acquire

    def the_clear_ends_first(name, wait):
        with db.database.connection_context():
            IdempotencyKey.update(status_code=kept.status_code).execute()
        return acquire(name, wait=wait)

    monkeypatch.setattr(idempotency.locks, 'acquire', the_clear_ends_first)
    again = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-2'), json=body)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert count_rows(AuditRecord) == 1


def test_a_repeated_clear_keeps_its_bound_and_its_one_audit_record(client, admin):
    for _ in range(3):
        insert_items(insert_job('failed'), 2)
    body = {'type': 'failed', 'cleanup_processed': True}
    first = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-1'), json=body)
    assert first.get_json() == {'success': True, 'message': 'Jobs cleared successfully.',
                                'jobs_deleted': 3, 'processed_items_cleaned': 6}
    later = insert_job('failed')  # created after the first request began
    again = client.delete(f'{API}/jobs', headers=keyed(admin, 'c-1'), json=body)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert again.headers['Idempotent-Replayed'] == 'true'
    with db.database.connection_context():
        assert [job_id for (job_id,) in Job.select(Job.job_id).tuples()] == [later]
    assert count_rows(AuditRecord) == 1


def test_a_repeated_processed_items_clear_is_replayed(client, admin):
    insert_items(insert_job(flow_id=7), 2, flow_id=7)
    body = {'clear_type': 'flow', 'target_id': 7}
    first = client.delete(f'{API}/processed-items', headers=keyed(admin, 'p-1'), json=body)
    insert_items(insert_job(flow_id=7), 1, flow_id=7)
    again = client.delete(f'{API}/processed-items', headers=keyed(admin, 'p-1'), json=body)
    assert first.get_json()['items_deleted'] == 2
    assert again.get_json() == first.get_json()
    assert count_rows(ProcessedItem) == 1 and count_rows(AuditRecord) == 1


def test_a_repeat_while_the_clear_runs_is_a_409_then_its_answer(app, admin, monkeypatch):
    """The repeat waits TAKEOVER_WAIT for the key's lock, then says the clear still runs (the
    wait is shortened here, so that the clear surely outlives it)."""
    monkeypatch.setattr(idempotency, 'TAKEOVER_WAIT', 0.1)
    with app.app_context(), db.database.connection_context():
        seed.seed(SLOW_CLEAR_JOBS, rng_seed=1)
    fail_every_job()
    headers, body, answers = keyed(admin, 'slow'), {'type': 'failed'}, {}
    change_settings(monkeypatch, app, clear_batch_size=1)  # one transaction per job: overlaps
    first = threading.Thread(target=lambda: answers.update(first=app.test_client().delete(
        f'{API}/jobs', headers=headers, json=body)))
    first.start()
    deadline = time.monotonic() + 30
    while count_rows(AuditRecord) == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    meanwhile = app.test_client().delete(f'{API}/jobs', headers=headers, json=body)
    running = first.is_alive()
    first.join(timeout=300)
    assert running, 'the first clear ended before its repeat was answered'
    assert meanwhile.status_code == 409, meanwhile.get_json()
    assert meanwhile.get_json()['code'] == 'idempotency_key_in_use'
    assert meanwhile.headers['Retry-After'] == '5'
    assert answers['first'].get_json()['jobs_deleted'] == SLOW_CLEAR_JOBS
    after = app.test_client().delete(f'{API}/jobs', headers=headers, json=body)
    assert after.get_json() == answers['first'].get_json()
    assert count_rows(AuditRecord) == 1


def test_an_expired_key_is_a_new_request(client, admin):
    assert client.post(f'{API}/jobs', headers=keyed(admin, 'old'),
                       json={'pipeline_id': 1, 'flow_id': 1}).status_code == 201
    with db.database.connection_context():
        IdempotencyKey.update(expires_at='2000-01-01 00:00:00').execute()
    again = client.post(f'{API}/jobs', headers=keyed(admin, 'old'),
                        json={'pipeline_id': 1, 'flow_id': 1})
    assert again.status_code == 201 and 'Idempotent-Replayed' not in again.headers
    assert count_rows(Job) == 2 and count_rows(IdempotencyKey) == 1


def test_keys_live_as_long_as_the_setting_says(app, client, admin):
    client.post(f'{API}/jobs', headers=keyed(admin, 'ttl'), json={'pipeline_id': 1, 'flow_id': 1})
    with db.database.connection_context():
        (expires_at,) = IdempotencyKey.select(IdempotencyKey.expires_at).tuples().get()
    stored = time.mktime(time.strptime(expires_at, '%Y-%m-%d %H:%M:%S')) - time.timezone
    assert abs(stored - time.time() - 86400) < 5
    assert settings_of(app).idempotency_ttl == 86400


@pytest.mark.parametrize('key', ['', ' ', 'x' * 256, 'caf\u00e9', 'a\tb', '""'])
def test_a_malformed_key_is_refused(client, admin, key):
    response = client.post(f'{API}/jobs', headers=keyed(admin, key),
                           json={'pipeline_id': 1, 'flow_id': 1})
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'invalid_idempotency_key',
        'message': 'Idempotency-Key must be 1 to 255 printable ASCII characters.',
        'data': {'status': 400}}
    assert count_rows(Job) == 0


def test_a_quoted_key_is_the_same_key(client, admin):
    client.post(f'{API}/jobs', headers=keyed(admin, '"abc"'), json={'pipeline_id': 1,
                                                                     'flow_id': 1})
    again = client.post(f'{API}/jobs', headers=keyed(admin, 'abc'),
                        json={'pipeline_id': 1, 'flow_id': 1})
    assert again.headers.get('Idempotent-Replayed') == 'true' and count_rows(Job) == 1


def test_reading_routes_ignore_the_header(client, admin):
    insert_job()
    for _ in range(2):
        response = client.get(f'{API}/jobs', headers=keyed(admin, 'read'))
        assert response.status_code == 200 and 'Idempotent-Replayed' not in response.headers
    assert count_rows(IdempotencyKey) == 0


@settings(max_examples=500, deadline=None)
@given(value=st.text(st.characters(max_codepoint=0x7f), max_size=260)
       | st.text(st.sampled_from('"a \t\x7f'), max_size=5)
       | st.integers(250, 260).map(lambda n: '"' + 'k' * n + '"'))
def test_the_documented_pattern_is_the_rule(value):
    value = value.strip(' \t')  # HTTP's own spaces, never part of a header's value
    assert matches_pattern(KEY_PATTERN, value) == (idempotency_key(value) is not None)
