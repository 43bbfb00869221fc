"""Repeated authentication failures: 429 per client address and login, shared by every worker,
at no cost to a request that authenticates."""
import logging

import pytest
from support import API, basic, close_pool, create_account, delta, make_app, scrape

from datamachine_jobs import db, passwords
from datamachine_jobs.config import Config, ConfigError
from datamachine_jobs.models import AuthFailure
from datamachine_jobs.services import throttle

LIMIT = 3
WINDOW = 300
WINDOW_START = 1_800_000_000  # 2027-01-15 08:00:00 UTC, a multiple of WINDOW
FIRST, NEXT = '2027-01-15 08:00:00', '2027-01-15 08:05:00'  # as stored
INVALID = {'code': 'invalid_credentials', 'message': 'Invalid username or application password.',
           'data': {'status': 401}}
THROTTLED = {'code': 'too_many_auth_failures',
             'message': 'Too many failed authentication attempts. Try again later.',
             'data': {'status': 429}}
OTHER_ADDRESS = {'REMOTE_ADDR': '127.0.0.9'}


class Clock:
    """The throttle's clock, moved by the test instead of waiting."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(WINDOW_START + 100)
    monkeypatch.setattr(throttle, 'time', clock)
    return clock


@pytest.fixture
def worker(app, database_url):
    """Build apps on the backend's database, as gunicorn workers would be: each has its own
    memory and all share the table."""
    built = []

    def build(**overrides):
        settings = {'auth_failure_limit': LIMIT, 'auth_failure_window': WINDOW, **overrides}
        built.append(make_app(database_url, **settings))
        return built[-1]
    yield build
    for each in built:
        close_pool(each)


def get_jobs(client, login, password, **kwargs):
    return client.get(f'{API}/jobs', headers=basic(login, password), **kwargs)


def fail(client, login='ops', times=1, **kwargs):
    for _ in range(times):
        assert get_jobs(client, login, passwords.generate(), **kwargs).get_json() == INVALID


def stored_counts():
    with db.database.connection_context():
        return sorted(AuthFailure.select(AuthFailure.window_start, AuthFailure.remote_addr,
                                         AuthFailure.username, AuthFailure.failures).tuples())


def test_the_limit_is_reached_then_even_the_right_password_waits(worker, clock):
    app = worker()
    client = app.test_client()
    plain = create_account(app, 'ops', 'administrator')
    before = scrape(client)
    fail(client, times=LIMIT - 1)
    assert get_jobs(client, 'ops', plain).status_code == 200  # below the limit
    fail(client, 'OPS')  # the login is counted in lower case
    assert stored_counts() == [(FIRST, '127.0.0.1', 'ops', LIMIT)]

    for password in (plain, passwords.generate(), 'short'):
        response = get_jobs(client, 'ops', password)
        assert response.status_code == 429
        assert response.get_json() == THROTTLED
        assert response.headers['Retry-After'] == '200'
        assert 'WWW-Authenticate' not in response.headers
    clock.now += 150
    assert get_jobs(client, 'Ops', plain).headers['Retry-After'] == '50'
    assert client.get(f'{API}/jobs').get_json()['code'] == 'rest_not_logged_in'
    assert stored_counts() == [(FIRST, '127.0.0.1', 'ops', LIMIT)]
    after = scrape(client)
    assert delta(before, after, 'datamachine_auth_failures_total',
                 reason='too_many_auth_failures') == 4
    assert delta(before, after, 'datamachine_auth_failures_total',
                 reason='invalid_credentials') == LIMIT


def test_other_addresses_and_other_logins_are_not_affected(worker, clock):
    app = worker()
    client = app.test_client()
    plain = create_account(app, 'ops', 'administrator')
    other = create_account(app, 'dev', 'administrator')
    fail(client, times=LIMIT)
    assert get_jobs(client, 'ops', plain).status_code == 429
    assert get_jobs(client, 'ops', plain, environ_base=OTHER_ADDRESS).status_code == 200
    assert get_jobs(client, 'dev', other).status_code == 200
    fail(client, 'dev', times=LIMIT - 1)
    fail(client, times=LIMIT - 1, environ_base=OTHER_ADDRESS)
    assert get_jobs(client, 'dev', other).status_code == 200
    assert get_jobs(client, 'ops', plain, environ_base=OTHER_ADDRESS).status_code == 200


def test_workers_share_the_count(worker, clock):
    first, second = worker(), worker()
    one, two = first.test_client(), second.test_client()
    plain = create_account(first, 'ops', 'administrator')
    fail(one, times=LIMIT - 1)
    fail(two)  # reaches the limit: this worker blocks the pair
    assert get_jobs(two, 'ops', plain).status_code == 429
    assert get_jobs(one, 'ops', plain).status_code == 200  # not known here yet
    fail(one)  # the one more failure this worker lets through, and it learns
    assert get_jobs(one, 'ops', plain).status_code == 429
    assert stored_counts() == [(FIRST, '127.0.0.1', 'ops', LIMIT + 1)]


def test_the_next_window_starts_afresh_and_ended_windows_are_deleted(worker, clock):
    app = worker()
    client = app.test_client()
    plain = create_account(app, 'ops', 'administrator')
    fail(client, times=LIMIT)
    fail(client, 'dev')
    assert get_jobs(client, 'ops', plain).status_code == 429

    clock.now = WINDOW_START + WINDOW
    assert get_jobs(client, 'ops', plain).status_code == 200
    fail(client, times=LIMIT - 1)
    assert get_jobs(client, 'ops', plain).status_code == 200
    assert stored_counts() == [(NEXT, '127.0.0.1', 'ops', LIMIT - 1)]


def test_limit_zero_never_throttles(worker, clock):
    app = worker(auth_failure_limit=0)
    client = app.test_client()
    plain = create_account(app, 'ops', 'administrator')
    fail(client, times=LIMIT * 2)
    assert get_jobs(client, 'ops', plain).status_code == 200
    assert stored_counts() == []


def statements(client, login, password, caplog):
    """The status of one GET /jobs and the SQL statements it ran."""
    caplog.clear()
    response = get_jobs(client, login, password)
    return response.status_code, [record.msg[0] for record in caplog.records
                                  if record.name == 'peewee']


def verbs(client, login, password, caplog):
    status, sql = statements(client, login, password, caplog)
    return status, [statement.split(' ', 1)[0] for statement in sql]


def test_what_a_request_costs_in_queries(worker, clock, caplog):
    """Authenticating costs what it did without the throttle; a failure adds one statement (two
    at a worker's first failure in a window); a blocked pair costs none."""
    enabled, disabled = worker(), worker(auth_failure_limit=0)
    on, off = enabled.test_client(), disabled.test_client()
    plain = create_account(enabled, 'ops', 'administrator')
    fail(on)  # a failure below the limit changes nothing for the next success
    for client in (on, off):
        assert get_jobs(client, 'ops', plain).status_code == 200  # notes the password's use

    caplog.set_level(logging.DEBUG, logger='peewee')
    status, with_throttle = statements(on, 'ops', plain, caplog)
    assert (status, len(with_throttle)) == (200, 3)
    assert statements(off, 'ops', plain, caplog) == (200, with_throttle)

    clock.now += WINDOW
    assert verbs(on, 'ops', passwords.generate(), caplog) == (401, ['SELECT', 'INSERT', 'DELETE'])
    for _ in range(LIMIT - 1):
        assert verbs(on, 'ops', passwords.generate(), caplog) == (401, ['SELECT', 'INSERT'])
    assert verbs(on, 'ops', plain, caplog) == (429, [])
    assert verbs(on, 'ops', 'short', caplog) == (429, [])


@pytest.mark.parametrize('environ, expected', [
    ({}, (20, 300)),
    ({'DATAMACHINE_AUTH_FAILURE_LIMIT': '0', 'DATAMACHINE_AUTH_FAILURE_WINDOW': '60'}, (0, 60)),
])
def test_settings(environ, expected):
    config = Config.from_env(environ)
    assert (config.auth_failure_limit, config.auth_failure_window) == expected


@pytest.mark.parametrize('variable, value, message', [
    ('DATAMACHINE_AUTH_FAILURE_LIMIT', '-1',
     "DATAMACHINE_AUTH_FAILURE_LIMIT must be an integer from 0, got '-1'"),
    ('DATAMACHINE_AUTH_FAILURE_WINDOW', '0',
     "DATAMACHINE_AUTH_FAILURE_WINDOW must be a positive integer, got '0'"),
])
def test_bad_settings(variable, value, message):
    with pytest.raises(ConfigError) as raised:
        Config.from_env({variable: value})
    assert str(raised.value) == message
