"""A typo must not delete data: every writing route refuses unknown keys, in its body and its
query string, naming each one, before it writes anything. WordPress's global parameters stay
accepted everywhere, and reading routes keep ignoring unknown query parameters."""
import re

import pytest
from support import API, basic_credentials, count_rows, insert_items, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import AuditRecord, Job, ProcessedItem, RetentionRule, Session
from datamachine_jobs.services import operations
from datamachine_jobs.vocabulary import API_PREFIX, JOBS_CLEAR

WRITING = {'POST', 'PUT', 'PATCH', 'DELETE'}
SIGN_IN, SIGN_OUT = ('POST', '/session'), ('DELETE', '/session')
# A valid request for each writing route, so that only the unknown key can make it fail.
VALID = {
    ('DELETE', '/jobs'): {'type': 'all', 'cleanup_processed': True},
    ('POST', '/jobs'): {'pipeline_id': 1, 'flow_id': 1},
    ('PATCH', '/jobs/{job_id}'): {'status': 'failed'},
    ('POST', '/jobs/{job_id}/processed-items'): {'flow_step_id': 's_1', 'source_type': 'rss',
                                                 'item_identifier': 'x'},
    ('DELETE', '/processed-items'): {'clear_type': 'flow', 'target_id': 1},
    ('DELETE', '/processed-items/{item_id}'): {},
    ('DELETE', '/operations/{operation_id}'): {},
    ('DELETE', '/jobs/{job_id}'): {'cleanup_processed': True},
    ('POST', '/jobs/{job_id}/retry'): {'force': True},
    ('POST', '/jobs/{job_id}/heartbeat'): {'runner': 'r'},
    ('POST', '/jobs/recover-stuck'): {'action': 'fail', 'timeout': '1h'},
    ('PUT', '/retention'): {'jobs': {'failed': '30d'}},
    ('POST', '/retention/run'): {'dry_run': False},
    # The session routes' requests are made by `valid_request`, with the admin's password.
    SIGN_IN: None,
    SIGN_OUT: None,
}
DRY_RUNS = {('DELETE', '/jobs'), ('POST', '/jobs/recover-stuck'), ('POST', '/retention/run')}
GLOBALS = {'_wpnonce': 'abc', '_method': 'x', '_envelope': '1', '_locale': 'user',
           '_fields': 'job_id'}


def writing_routes(app):
    return sorted((method, re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', rule.rule[len(API_PREFIX):]))
                  for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)
                  for method in rule.methods & WRITING)


def test_every_writing_route_has_a_valid_request_here(app):
    assert writing_routes(app) == sorted(VALID)


@pytest.fixture
def rows(app):
    """A job with an item, and a function returning what the tables and the audit log hold."""
    job = insert_job('processing', flow_id=1)
    item = insert_items(job, 1)[0]

    def snapshot():
        return (count_rows(Job), count_rows(ProcessedItem), count_rows(AuditRecord),
                count_rows(Session), count_rows(RetentionRule),
                count_rows(Job, Job.heartbeat_at.is_null(False)))

    return job, item, snapshot


@pytest.fixture
def operation(app):
    """A queued operation, which no thread runs here: cancelling it is a valid request."""
    with db.database.connection_context():
        return operations.enqueue(JOBS_CLEAR, {'type': 'failed'}, {
            'failed_only': True, 'cleanup_processed': False}, {'via': 'http'})['id']


def url(path, job, item, operation):
    return API + path.format(job_id=job, item_id=item, operation_id=operation)


def valid_request(client, admin, route):
    """(body, headers) of a valid request for `route`; signing out signs in first."""
    if route not in (SIGN_IN, SIGN_OUT):
        return dict(VALID[route]), admin
    login = dict(zip(('username', 'password'), basic_credentials(admin), strict=True))
    if route == SIGN_IN:
        return login, {}
    signed_in = client.post(f'{API}/session', json=login)
    return {}, {'X-WP-Nonce': signed_in.get_json()['data']['nonce']}


@pytest.mark.parametrize('route', sorted(VALID), ids=' '.join)
@pytest.mark.parametrize('where', ['body', 'query'])
def test_an_unknown_key_is_refused_before_anything_is_written(client, admin, rows, operation,
                                                              route, where):
    job, item, snapshot = rows
    method, path = route
    body, headers = valid_request(client, admin, route)
    before = snapshot()
    query = {}
    (body if where == 'body' else query).update({'dryRun': True, 'colour': 'red'})
    response = client.open(url(path, job, item, operation), method=method, headers=headers,
                           json=body, query_string=query)
    assert response.status_code == 400
    assert response.get_json() == {
        'code': 'rest_invalid_param', 'message': 'Invalid parameter(s): dryRun, colour',
        'data': {'status': 400, 'params': {
            'dryRun': 'dryRun is not a parameter of this route.' + (
                ' Did you mean dry_run?' if route in DRY_RUNS else ''),
            'colour': 'colour is not a parameter of this route.'}}}
    assert snapshot() == before


@pytest.mark.parametrize('route', sorted(VALID), ids=' '.join)
def test_wordpress_global_parameters_are_accepted(client, admin, rows, operation, route):
    job, item, _ = rows
    method, path = route
    body, headers = valid_request(client, admin, route)
    response = client.open(url(path, job, item, operation), method=method, headers=headers,
                           json={**body, **GLOBALS}, query_string=GLOBALS)
    assert response.status_code in (200, 201), response.get_json()


def test_the_misspelt_dry_run_of_the_report_deletes_nothing(client, admin):
    jobs = [insert_job('failed') for _ in range(11)]
    response = client.delete(f'{API}/jobs', headers=admin,
                             json={'type': 'failed', 'dryRun': True})
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {
        'dryRun': 'dryRun is not a parameter of this route. Did you mean dry_run?'}
    assert count_rows(Job) == len(jobs)


def test_a_camel_cased_scope_does_not_widen_a_preview(client, admin):
    response = client.delete(f'{API}/jobs', headers=admin, json={
        'type': 'all', 'flowId': 42, 'olderThan': '30d', 'dry_run': True})
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {
        'flowId': 'flowId is not a parameter of this route. Did you mean flow_id?',
        'olderThan': 'olderThan is not a parameter of this route. Did you mean older_than?'}


def test_unknown_keys_inside_a_batch_record_are_named(client, admin, rows):
    job, _, snapshot = rows
    before = snapshot()
    items = [{'flow_step_id': 's_1', 'source_type': 'rss', 'item_identifier': 'a'},
             {'flow_step_id': 's_1', 'source_type': 'rss', 'item_identifer': 'b'}]
    response = client.post(f'{API}/jobs/{job}/processed-items', headers=admin,
                           json={'items': items})
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {
        'items[1].item_identifer': 'item_identifer is not a parameter of this route. '
                                   'Did you mean item_identifier?'}
    assert snapshot() == before


@pytest.mark.parametrize('body, params', [
    ({'type': 'all', 'dry_run': None}, {'dry_run': 'dry_run must not be null.'}),
    ({'type': 'all', 'flow_id': ''}, {'flow_id': 'flow_id must be an integer.'}),
    ({'type': 'all', 'older_than': ''}, {'older_than': (
        "older_than must be an age such as 30d, 12h or 90m, or a time ('YYYY-MM-DD HH:MM:SS' "
        "UTC, or ISO 8601 with an offset).")}),
])
def test_empty_and_null_optional_values_are_refused_by_a_writing_route(client, admin, body,
                                                                      params):
    insert_job('failed')
    response = client.delete(f'{API}/jobs', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == params
    assert count_rows(Job) == 1


@pytest.mark.parametrize('body', [{'pipeline_id': '5', 'flow_id': 42},
                                  {'pipeline_id': 5, 'flow_id': '4.2e1'}])
def test_a_json_string_is_not_an_integer(client, admin, body):
    """A JSON body carries JSON's types, as the document says; forms and query strings spell
    every value as text (test_lifecycle.py)."""
    response = client.post(f'{API}/jobs', headers=admin, json=body)
    assert response.status_code == 400
    name = next(key for key, value in body.items() if isinstance(value, str))
    assert response.get_json()['data']['params'] == {name: f'{name} must be an integer.'}
    assert count_rows(Job) == 0


def test_query_string_text_beside_a_json_body_is_read_as_text(client, admin):
    insert_job('failed', flow_id=5)
    insert_job('failed', flow_id=6)
    response = client.delete(f'{API}/jobs?flow_id=5', headers=admin,
                             json={'type': 'failed', 'cleanup_processed': 1.0})
    assert response.status_code == 200 and response.get_json()['jobs_deleted'] == 1
    assert count_rows(Job) == 1


def test_reading_routes_ignore_unknown_query_parameters(client, admin):
    insert_job('failed')
    response = client.get(f'{API}/jobs?colour=red&statuss=failed', headers=admin)
    assert response.status_code == 200 and response.get_json()['total'] == 1


def test_the_audit_record_keeps_the_request_as_received(client, admin):
    insert_job('failed')
    body = {'type': 'failed', 'cleanup_processed': 'TRUE', '_wpnonce': 'n'}
    response = client.delete(f'{API}/jobs?_locale=user', headers=admin, json=body)
    assert response.status_code == 200
    record = client.get(f'{API}/audit', headers=admin).get_json()['data'][0]
    assert record['parameters'] == {**body, '_locale': 'user'}
