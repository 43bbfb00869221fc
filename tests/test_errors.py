"""The error surface: one JSON envelope for routing errors, large bodies, database outages and
unexpected failures."""

import pytest
from support import (
    API,
    basic,
    close_pool,
    create_account,
    fresh_database_url,
    insert_job,
    make_app,
    outage_switch,
)
from werkzeug.exceptions import default_exceptions

from datamachine_jobs import db

NO_ROUTE = {'code': 'rest_no_route',
            'message': 'No route was found matching the URL and request method.'}


# '\u0663' is ARABIC-INDIC DIGIT THREE: a digit to Python's \d, not to the document.
@pytest.mark.parametrize('path', ['/jobs/abc', '/jobs/-1', '/jobs/1.5', '/nope', '/jobs/1/x',
                                  '/jobs/\u0663', '/jobs/\u0663/processed-items',
                                  '/processed-items/\uff13'])
def test_unknown_routes(client, admin, path):
    response = client.get(f'{API}{path}', headers=admin)
    assert response.status_code == 404
    assert response.headers['Content-Type'] == 'application/json; charset=UTF-8'
    assert response.get_json() == {**NO_ROUTE, 'data': {'status': 404}}


@pytest.mark.parametrize('method, path, allowed', [
    ('put', '/jobs', {'GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST'}),
    ('patch', '/jobs', {'GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST'}),
    ('put', '/jobs/1', {'GET', 'HEAD', 'OPTIONS', 'PATCH', 'DELETE'}),
    ('post', '/jobs/1', {'GET', 'HEAD', 'OPTIONS', 'PATCH', 'DELETE'}),
    ('get', '/jobs/1/heartbeat', {'POST', 'OPTIONS'}),
    ('delete', '/retention', {'GET', 'HEAD', 'OPTIONS', 'PUT'}),
    ('put', '/processed-items', {'GET', 'HEAD', 'OPTIONS', 'DELETE'}),
    ('get', '/processed-items/1', {'DELETE', 'OPTIONS'}),
    ('get', '/jobs/1/processed-items', {'POST', 'OPTIONS'}),
])
def test_wrong_method(client, admin, method, path, allowed):
    response = getattr(client, method)(f'{API}{path}', headers=admin)
    assert response.status_code == 405
    assert set(response.headers['Allow'].split(', ')) == allowed
    assert response.get_json() == {**NO_ROUTE, 'data': {'status': 405}}


def test_trailing_slash_is_the_same_route(client, admin):
    job = insert_job()
    assert client.get(f'{API}/jobs/', headers=admin).get_json()['total'] == 1
    assert client.get(f'{API}/jobs/{job}/', headers=admin).status_code == 200


def test_body_over_one_mebibyte(client, admin):
    insert_job('failed')
    response = client.delete(f'{API}/jobs', headers=admin, data=b'{"type": "failed", "pad": "'
                             + b'x' * (1024 * 1024) + b'"}', content_type='application/json')
    assert response.status_code == 413
    assert response.get_json()['code'] == 'rest_request_too_large'
    assert response.get_json()['data'] == {'status': 413}


def test_unexpected_error_is_500_without_details(backend, tmp_path, caplog):
    """An unmigrated database makes every query fail: an error no handler expects."""
    url, drop = fresh_database_url(backend, tmp_path)
    app = make_app(url, TESTING=False)
    try:
        response = app.test_client().get(f'{API}/jobs', headers=basic('a', 'b' * 24))
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert response.get_json() == {'code': 'internal_error',
                                       'message': 'An unexpected error occurred.',
                                       'data': {'status': 500}}
        assert 'Traceback' not in body and 'datamachine_' not in body
        assert 'Traceback' in caplog.text  # the log keeps the details
    finally:
        close_pool(app)
        drop()


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.headers['Retry-After'] == '5'
    assert response.get_json() == {'code': 'database_unavailable',
                                   'message': 'The database is unavailable. Try again shortly.',
                                   'data': {'status': 503}}


def prepared_app(url):
    app = make_app(url)
    with app.app_context(), db.database.connection_context():
        db.migration_runner().up()
    return app, basic('admin', create_account(app, 'admin', 'administrator'))


def test_database_gone_then_back(backend, tmp_path):
    with outage_switch(backend, tmp_path) as (url, cut, restore):
        app, headers = prepared_app(url)
        try:
            client = app.test_client()
            assert client.get(f'{API}/jobs', headers=headers).status_code == 200

            cut()
            assert_unavailable(client.get(f'{API}/jobs', headers=headers))
            assert_unavailable(client.delete(f'{API}/jobs', headers=headers, json={'type': 'all'}))

            restore()
            assert client.get(f'{API}/jobs', headers=headers).status_code == 200
        finally:
            close_pool(app)


@pytest.fixture(scope='module')
def failing_app(tmp_path_factory):
    """An app with TESTING off and routes that fail in every way a view can."""
    from werkzeug.exceptions import abort

    from datamachine_jobs.exceptions import (
        AlreadyProcessed,
        InvalidTransition,
        JobNotFound,
        ProcessedItemNotFound,
    )

    app = make_app(f'sqlite:///{tmp_path_factory.mktemp("failing")}/jobs.db', TESTING=False)
    domain = {'job': JobNotFound(1), 'item': ProcessedItemNotFound(1),
              'transition': InvalidTransition('completed', 'failed'),
              'processed': AlreadyProcessed({'id': 7})}

    def http_error(code):
        abort(code)

    def domain_error(name):
        raise domain[name]

    def unexpected():
        raise RuntimeError('secret detail of the server')

    app.add_url_rule('/fail/http/<int:code>', view_func=http_error)
    app.add_url_rule('/fail/domain/<name>', view_func=domain_error)
    app.add_url_rule('/fail/unexpected', view_func=unexpected)
    yield app
    close_pool(app)


HTTP_ERROR_CODES = sorted(code for code in default_exceptions if code >= 400)


@pytest.mark.parametrize('code', HTTP_ERROR_CODES)
def test_every_http_error_is_the_json_envelope(failing_app, code):
    response = failing_app.test_client().get(f'/fail/http/{code}')
    assert response.status_code == code
    assert response.headers['Content-Type'] == 'application/json; charset=UTF-8'
    body = response.get_json()
    assert set(body) == {'code', 'message', 'data'} and body['data']['status'] == code
    assert isinstance(body['code'], str) and body['code'] and body['message']
    assert b'Traceback' not in response.data and b'<' not in response.data


@pytest.mark.parametrize('name, status, body', [
    ('job', 404, {'code': 'job_not_found', 'message': 'Job not found.',
                  'data': {'status': 404}}),
    ('item', 404, {'code': 'processed_item_not_found', 'message': 'Processed item not found.',
                   'data': {'status': 404}}),
    ('transition', 409, {'code': 'invalid_transition',
                         'message': "A job cannot move from 'completed' to 'failed'.",
                         'data': {'status': 409, 'current_status': 'completed'}}),
    ('processed', 409, {'code': 'already_processed', 'message': 'This item was already '
                        'processed.', 'data': {'status': 409, 'existing': {'id': 7}}}),
])
def test_every_domain_error_has_its_one_answer(failing_app, name, status, body):
    response = failing_app.test_client().get(f'/fail/domain/{name}')
    assert (response.status_code, response.get_json()) == (status, body)


def test_an_unexpected_error_leaks_nothing(failing_app, caplog):
    response = failing_app.test_client().get('/fail/unexpected')
    assert response.status_code == 500
    assert response.get_json() == {'code': 'internal_error',
                                   'message': 'An unexpected error occurred.',
                                   'data': {'status': 500}}
    assert b'secret detail' not in response.data and b'Traceback' not in response.data
    assert 'secret detail of the server' in caplog.text  # the log has it

