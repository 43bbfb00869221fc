"""What operators watch: liveness and readiness, Prometheus metrics, the JSON request log with its
request id, and the client address behind a trusted proxy."""
import json
import logging
import os
import random
import string
from datetime import UTC, datetime

import pytest
from support import (
    API,
    basic,
    close_pool,
    create_account,
    delta,
    fresh_database_url,
    insert_job,
    make_app,
    scrape,
)

from datamachine_jobs import db
from datamachine_jobs.models import AppPassword, Job
from datamachine_jobs.request_log import JsonLines


def test_healthz_needs_neither_credentials_nor_database(tmp_path):
    app = make_app(f'sqlite:///{tmp_path}/missing/dir/jobs.db')  # cannot even be opened
    try:
        response = app.test_client().get('/healthz')
        assert response.status_code == 200 and response.get_json() == {'status': 'ok'}
        assert response.headers['X-Request-ID']
    finally:
        close_pool(app)


def test_readyz_when_ready(client):
    response = client.get('/readyz')
    assert response.status_code == 200 and response.get_json() == {'status': 'ready'}


def test_readyz_is_503_with_pending_migrations(backend, tmp_path, app, caplog):
    url, drop = fresh_database_url(backend, tmp_path)
    fresh = make_app(url)
    try:
        response = fresh.test_client().get('/readyz')
        assert response.status_code == 503
        assert response.get_json() == {'code': 'not_ready', 'message': 'migrations pending',
                                       'data': {'status': 503}}
        assert 'migration(s) pending): run `datamachine-jobs db upgrade`' in caplog.text
    finally:
        close_pool(fresh)
        drop()


@pytest.mark.parametrize('where, detail', [
    ('sqlite:///{tmp}/missing/dir/jobs.db', 'unable to open database file'),
    ('mysql://root@127.0.0.1:1/jobs', "Can't connect to"),  # both drivers' words
])
def test_readyz_says_only_the_kind_when_the_database_cannot_be_reached(tmp_path, app, caplog,
                                                                        where, detail):
    broken = make_app(where.format(tmp=tmp_path))
    try:
        response = broken.test_client().get('/readyz')
        assert response.status_code == 503
        assert response.get_json() == {'code': 'not_ready', 'message': 'database unreachable',
                                       'data': {'status': 503}}
        assert 'not ready: the database cannot be reached: ' in caplog.text
        assert detail in caplog.text
    finally:
        close_pool(broken)


def test_request_metrics_count_every_answer(client, admin):
    before = scrape(client)
    for _ in range(3):
        assert client.get(f'{API}/jobs', headers=admin).status_code == 200
    assert client.get(f'{API}/jobs/999', headers=admin).status_code == 404
    assert client.get(f'{API}/jobs').status_code == 401
    assert client.get(f'{API}/jobs', headers=basic('admin', 'x' * 24)).status_code == 401
    assert client.get('/no/such/route').status_code == 404
    after = scrape(client)

    jobs_route = f'{API}/jobs'
    assert delta(before, after, 'datamachine_http_requests_total', route=jobs_route,
                 method='GET', status='200') == 3
    assert delta(before, after, 'datamachine_http_requests_total', route=jobs_route,
                 method='GET', status='401') == 2
    assert delta(before, after, 'datamachine_http_requests_total',
                 route=f'{API}/jobs/<int:job_id>', method='GET', status='404') == 1
    assert delta(before, after, 'datamachine_http_requests_total', route='unmatched',
                 method='GET', status='404') == 1
    assert delta(before, after, 'datamachine_http_request_duration_seconds_count',
                 route=jobs_route, method='GET') == 5
    assert delta(before, after, 'datamachine_auth_failures_total',
                 reason='rest_not_logged_in') == 1
    assert delta(before, after, 'datamachine_auth_failures_total',
                 reason='invalid_credentials') == 1


def test_random_methods_and_paths_add_no_metric_series(client):
    """Labels come from closed sets: 1,000 made-up methods and paths leave the scrape's series as
    they were after the first one."""
    rng = random.Random(10)

    def word(length):
        return ''.join(rng.choice(string.ascii_uppercase) for _ in range(length))

    assert client.open('/warm/up', method='WARMUP').status_code == 404
    assert client.open(f'{API}/jobs', method='WARMUP').status_code == 405
    before = scrape(client)
    for _ in range(1000):
        path = rng.choice(['/', f'{API}/jobs', f'{API}/jobs/1', '/metrics']) + '/' + word(8)
        response = client.open(path if rng.random() < .5 else path.rsplit('/', 1)[0],
                               method=word(rng.randint(3, 12)))
        assert response.status_code in (401, 404, 405)
    after = scrape(client)
    assert set(after) == set(before)
    assert delta(before, after, 'datamachine_http_requests_total', route='unmatched',
                 method='other', status='404') > 0


def test_forbidden_users_count_as_auth_failures(app, client):
    editor = basic('ed', create_account(app, 'ed', 'editor'))
    before = scrape(client)
    assert client.get(f'{API}/jobs', headers=editor).status_code == 403
    assert delta(before, scrape(client), 'datamachine_auth_failures_total',
                 reason='rest_forbidden') == 1


def test_job_gauges_come_from_the_database(client):
    oldest = insert_job('pending')  # ids follow creation: the first pending one is the oldest
    for status in ('failed', 'failed - timeout', 'completed', 'pending', 'pending'):
        insert_job(status)
    with db.database.connection_context():
        Job.update(created_at='2000-01-01 00:00:00').where(Job.job_id == oldest).execute()
    samples = scrape(client)
    jobs = {dict(labels)['base_status']: value for (name, labels), value in samples.items()
            if name == 'datamachine_jobs'}
    assert jobs == {'pending': 3, 'processing': 0, 'completed': 1, 'completed_no_items': 0,
                    'agent_skipped': 0, 'failed': 2, 'cancelled': 0}
    assert samples[('datamachine_database_up', ())] == 1
    age = samples[('datamachine_oldest_pending_job_age_seconds', ())]
    since = (datetime.now(UTC).replace(tzinfo=None) - datetime(2000, 1, 1)).total_seconds()
    assert since - 60 < age <= since + 1


def test_no_pending_job_is_age_zero(client):
    insert_job('completed')
    assert scrape(client)[('datamachine_oldest_pending_job_age_seconds', ())] == 0


def test_metrics_say_when_the_database_is_down(tmp_path, app):
    broken = make_app(f'sqlite:///{tmp_path}/missing/dir/jobs.db')
    try:
        samples = scrape(broken.test_client())
        assert samples[('datamachine_database_up', ())] == 0
        assert not any(name == 'datamachine_jobs' for name, _ in samples)
    finally:
        close_pool(broken)


def test_metrics_token(database_url, app):
    guarded = make_app(database_url, metrics_token='s3cret-token')
    try:
        client = guarded.test_client()
        for headers in ({}, {'Authorization': 'Bearer wrong'}, {'Authorization': 's3cret-token'}):
            response = client.get('/metrics', headers=headers)
            assert response.status_code == 401
            assert response.get_json()['code'] == 'invalid_metrics_token'
            assert response.headers['WWW-Authenticate'] == 'Bearer realm="metrics"'
        assert scrape(client, {'Authorization': 'Bearer s3cret-token'})
    finally:
        close_pool(guarded)


def test_one_json_log_line_per_request_with_its_id(client, admin, caplog):
    caplog.set_level(logging.INFO, logger='datamachine_jobs.requests')
    response = client.get(f'{API}/jobs?status=failed', headers={**admin, 'X-Request-ID': 'abc-1'})
    assert response.headers['X-Request-ID'] == 'abc-1'
    [record] = [r for r in caplog.records if r.name == 'datamachine_jobs.requests']
    line = json.loads(JsonLines().format(record))
    assert line.pop('time').endswith('Z') and line.pop('duration_ms') >= 0
    assert line.pop('pid') == os.getpid()
    assert line == {'level': 'INFO', 'logger': 'datamachine_jobs.requests', 'message': 'request',
                    'request_id': 'abc-1', 'remote_addr': '127.0.0.1', 'user': 'admin',
                    'app_password': 'tests', 'method': 'GET', 'path': f'{API}/jobs',
                    'route': f'{API}/jobs', 'status': 200}


@pytest.mark.parametrize('incoming', ['', 'has space', 'x' * 129, 'quote"d'])
def test_an_unusable_request_id_is_replaced(client, incoming):
    answered = client.get('/healthz', headers={'X-Request-ID': incoming}).headers['X-Request-ID']
    assert answered != incoming and len(answered) == 32 and int(answered, 16) >= 0


def test_errors_are_logged_as_json_with_the_traceback():
    try:
        raise ValueError('boom')
    except ValueError:
        record = logging.getLogger('datamachine_jobs.errors').makeRecord(
            'datamachine_jobs.errors', logging.ERROR, __file__, 1, 'unhandled error', (),
            __import__('sys').exc_info())
    line = json.loads(JsonLines().format(record))
    assert line['message'] == 'unhandled error' and 'ValueError: boom' in line['exception']


@pytest.mark.parametrize('hops, expected', [(0, '127.0.0.1'), (1, '203.0.113.7')])
def test_client_address_behind_trusted_proxies(database_url, app, caplog, hops, expected):
    """With DATAMACHINE_PROXY_HOPS=1 the address nginx appended is the client's; without, the
    header is anybody's to forge and is ignored."""
    password = create_account(app, 'admin', 'administrator')
    proxied = make_app(database_url, proxy_hops=hops)
    caplog.set_level(logging.INFO, logger='datamachine_jobs.requests')
    try:
        response = proxied.test_client().get(
            f'{API}/jobs', headers={**basic('admin', password),
                                    'X-Forwarded-For': '198.51.100.1, 203.0.113.7'})
        assert response.status_code == 200
        with db.database.connection_context():
            assert AppPassword.get().last_ip == expected
        [record] = [r for r in caplog.records if r.name == 'datamachine_jobs.requests']
        assert record.fields['remote_addr'] == expected
    finally:
        close_pool(proxied)
