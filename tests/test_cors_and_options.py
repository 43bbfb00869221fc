"""OPTIONS answers JSON on every route, as WordPress does; browsers on the origins named in
DATAMACHINE_CORS_ORIGINS (none by default) may call the API, others get no CORS headers."""
import pytest
from support import API, basic, change_settings, create_account

from datamachine_jobs.config import Config, ConfigError

PAGE = 'https://ops.example.com'
PREFLIGHT = {'Origin': PAGE, 'Access-Control-Request-Method': 'DELETE',
             'Access-Control-Request-Headers': 'authorization, content-type'}
CORS_HEADERS = ('Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials',
                'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
                'Access-Control-Max-Age', 'Access-Control-Expose-Headers')


def cors_headers(response):
    return {name: response.headers[name] for name in CORS_HEADERS if name in response.headers}


def test_options_answers_the_routes_methods_and_arguments(client):
    response = client.options(f'{API}/jobs')
    assert response.status_code == 200
    assert response.content_type == 'application/json; charset=UTF-8'
    assert set(response.headers['Allow'].split(', ')) == {'GET', 'HEAD', 'POST', 'DELETE',
                                                         'OPTIONS'}
    body = response.get_json()
    assert body['namespace'] == 'datamachine/v1'
    assert body['methods'] == ['GET', 'POST', 'DELETE']
    endpoints = {endpoint['methods'][0]: endpoint['args'] for endpoint in body['endpoints']}
    assert endpoints['GET']['per_page'] == {'default': 50, 'type': 'integer', 'minimum': 1,
                                            'maximum': 100, 'required': False}
    assert endpoints['GET']['order']['default'] == 'DESC'
    assert endpoints['POST']['pipeline_id']['required'] is True
    assert endpoints['DELETE']['type'] == {'type': 'string', 'enum': ['all', 'failed'],
                                           'required': True}
    assert endpoints['DELETE']['dry_run']['required'] is False

    one = client.options(f'{API}/jobs/5').get_json()
    assert one['methods'] == ['GET', 'PATCH', 'DELETE']
    assert one['endpoints'][1]['args']['status']['required'] is True
    assert one['endpoints'][0]['args']['job_id']['required'] is True
    items = client.options(f'{API}/jobs/5/processed-items').get_json()
    assert {'flow_step_id', 'items'} <= set(items['endpoints'][0]['args'])  # either body shape

    health = client.options('/healthz')
    assert health.status_code == 200 and health.get_json() == {
        'methods': ['GET'], 'endpoints': [{'methods': ['GET'], 'args': {}}]}
    unknown = client.options(f'{API}/nope')
    assert unknown.status_code == 404 and unknown.get_json()['code'] == 'rest_no_route'


def test_no_cors_headers_by_default(client, app):
    preflight = client.options(f'{API}/jobs', headers=PREFLIGHT)
    assert preflight.status_code == 200 and cors_headers(preflight) == {}
    assert 'Vary' not in preflight.headers


def test_a_named_origin_gets_preflights_and_answers_with_credentials(client, app, monkeypatch):
    change_settings(monkeypatch, app, cors_origins=(PAGE, 'http://localhost:3000'))
    preflight = client.options(f'{API}/jobs', headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert cors_headers(preflight) == {
        'Access-Control-Allow-Origin': PAGE, 'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'GET, POST, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-None-Match, '
                                        'Idempotency-Key, Prefer, X-Request-ID, X-WP-Nonce',
        'Access-Control-Max-Age': '600'}
    assert preflight.headers['Vary'] == 'Origin'

    admin = basic('admin', create_account(app, 'admin', 'administrator'))
    answer = client.get(f'{API}/jobs', headers={**admin, 'Origin': PAGE})
    assert answer.status_code == 200
    assert cors_headers(answer) == {
        'Access-Control-Allow-Origin': PAGE, 'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': 'X-WP-Total, X-WP-TotalPages, Link, ETag, Location, '
                                         'Retry-After, X-Request-ID, Idempotent-Replayed, '
                                         'Preference-Applied'}
    assert 'Origin' in answer.headers['Vary']
    refused = client.get(f'{API}/jobs', headers={'Origin': PAGE})  # errors carry them too
    assert refused.status_code == 401
    assert refused.headers['Access-Control-Allow-Origin'] == PAGE


@pytest.mark.parametrize('origin', ['https://evil.example', 'https://ops.example.com:8443',
                                    'http://ops.example.com', 'null'])
def test_other_origins_get_no_cors_headers(client, app, monkeypatch, origin):
    change_settings(monkeypatch, app, cors_origins=(PAGE,))
    preflight = client.options(f'{API}/jobs', headers={**PREFLIGHT, 'Origin': origin})
    assert preflight.status_code == 200 and cors_headers(preflight) == {}
    assert preflight.headers['Vary'] == 'Origin'  # a cache must not reuse another's answer
    assert cors_headers(client.get(f'{API}/jobs', headers={'Origin': origin})) == {}


def test_any_origin_never_with_credentials(client, app, monkeypatch):
    change_settings(monkeypatch, app, cors_origins=('*',))
    headers = cors_headers(client.options(f'{API}/jobs/3', headers={
        **PREFLIGHT, 'Origin': 'https://anywhere.example'}))
    assert headers['Access-Control-Allow-Origin'] == '*'
    assert headers['Access-Control-Allow-Methods'] == 'GET, PATCH, DELETE'
    assert 'Access-Control-Allow-Credentials' not in headers


def test_the_origins_setting():
    assert Config.from_env({'DATAMACHINE_CORS_ORIGINS': ''}).cors_origins == ()
    assert Config.from_env({
        'DATAMACHINE_CORS_ORIGINS': 'https://a.example, http://127.0.0.1:8080 http://[::1]:3000'
    }).cors_origins == ('https://a.example', 'http://127.0.0.1:8080', 'http://[::1]:3000')
    for bad in ('https://a.example/', 'a.example', 'https://a.example/path', 'ftp://a.example'):
        with pytest.raises(ConfigError, match='DATAMACHINE_CORS_ORIGINS: .* is not an origin'):
            Config.from_env({'DATAMACHINE_CORS_ORIGINS': bad})
