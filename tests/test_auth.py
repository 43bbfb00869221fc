"""Authentication and permission: 401 against 403, application passwords, usage records."""
import sqlite3
import time
from urllib.parse import urlparse

import pytest
from support import API, basic, create_account, insert_job, settings_of

from datamachine_jobs import db, passwords
from datamachine_jobs.models import AppPassword
from datamachine_jobs.services import accounts

ROUTES = [('get', '/jobs'), ('get', '/jobs/1'), ('delete', '/jobs')]
CHALLENGE = 'Basic realm="datamachine"'


def call(client, method, path, headers=None):
    return getattr(client, method)(f'{API}{path}', headers=headers or {}, json=(
        {'type': 'all'} if method == 'delete' else None))


@pytest.mark.parametrize('method, path', ROUTES)
@pytest.mark.parametrize('headers', [None, {'Authorization': 'Bearer abc'},
                                     {'Authorization': 'Basic !!!notbase64'}])
def test_no_credentials(client, app, method, path, headers):
    job = insert_job()
    response = call(client, method, path, headers)
    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'] == CHALLENGE
    assert response.get_json() == {'code': 'rest_not_logged_in',
                                   'message': 'You are not currently logged in.',
                                   'data': {'status': 401}}
    assert client.get(f'{API}/jobs/{job}').status_code == 401


INVALID = {'code': 'invalid_credentials', 'message': 'Invalid username or application password.',
           'data': {'status': 401}}


@pytest.mark.parametrize('method, path', ROUTES)
def test_wrong_password_and_unknown_user_get_the_same_answer(client, admin, method, path):
    wrong = call(client, method, path, basic('admin', passwords.generate()))
    unknown = call(client, method, path, basic('nobody', passwords.generate()))
    short = call(client, method, path, basic('admin', 'short'))
    for response in (wrong, unknown, short):
        assert response.status_code == 401
        assert response.headers['WWW-Authenticate'] == CHALLENGE
        assert response.get_json() == INVALID


@pytest.mark.parametrize('role', ['editor', 'author', 'contributor', 'subscriber'])
@pytest.mark.parametrize('method, path', ROUTES)
def test_roles_without_manage_options_are_forbidden(client, app, role, method, path):
    job = insert_job()
    headers = basic(role, create_account(app, role, role))
    response = call(client, method, path.replace('/1', f'/{job}'), headers)
    assert response.status_code == 403
    assert 'WWW-Authenticate' not in response.headers
    assert response.get_json() == {'code': 'rest_forbidden',
                                   'message': 'You do not have permission to manage jobs.',
                                   'data': {'status': 403}}
    assert client.get(f'{API}/jobs/{job}', headers=headers).status_code == 403


def test_password_forms_and_email_login(client, app):
    plain = create_account(app, 'ops', 'administrator', 'ops@example.com')
    for login, password in [('ops', plain), ('ops', passwords.grouped(plain)),
                            ('ops@example.com', plain), ('ops', '-'.join(plain))]:
        assert client.get(f'{API}/jobs', headers=basic(login, password)).status_code == 200
    if plain.swapcase() != plain:  # letters are case-sensitive
        assert client.get(f'{API}/jobs', headers=basic('ops', plain.swapcase())).status_code == 401


def test_revoked_password_stops_working_and_others_keep_working(client, app):
    first = create_account(app, 'ops', 'administrator')
    with app.app_context(), db.database.connection_context():
        second_record, second = accounts.create_app_password(
            'ops', 'second', settings_of(app).password_key)
        first_record = AppPassword.get(AppPassword.name == 'tests')
        accounts.revoke_app_password('ops', first_record.uuid)
    assert client.get(f'{API}/jobs', headers=basic('ops', first)).get_json() == INVALID
    assert client.get(f'{API}/jobs', headers=basic('ops', second)).status_code == 200


def test_stored_password_is_a_keyed_digest(app):
    plain = create_account(app, 'ops', 'administrator')
    with db.database.connection_context():
        stored = AppPassword.get().digest
    assert plain not in stored
    assert stored == passwords.digest(plain, settings_of(app).password_key)
    assert stored != passwords.digest(plain, b'another key')


def test_use_is_recorded_at_most_once_a_minute(client, app):
    plain = create_account(app, 'ops', 'administrator')
    headers = basic('ops', plain)
    client.get(f'{API}/jobs', headers=headers, environ_base={'REMOTE_ADDR': '203.0.113.9'})
    with db.database.connection_context():
        first = AppPassword.get()
    assert first.last_ip == '203.0.113.9' and first.last_used_at is not None

    client.get(f'{API}/jobs', headers=headers, environ_base={'REMOTE_ADDR': '198.51.100.7'})
    with db.database.connection_context():
        assert AppPassword.get().last_ip == '203.0.113.9'  # within the minute: no write
        AppPassword.update(last_used_at='2020-01-01 00:00:00').execute()

    client.get(f'{API}/jobs', headers=headers, environ_base={'REMOTE_ADDR': '198.51.100.7'})
    with db.database.connection_context():
        again = AppPassword.get()
    assert again.last_ip == '198.51.100.7' and again.last_used_at > '2020-01-01 00:00:00'


@pytest.mark.parametrize('backend', ['sqlite'], indirect=True, scope='session')
def test_a_read_does_not_wait_for_the_write_lock_to_note_its_use(client, app, database_url):
    """On SQLite the stamp is skipped while another writer (a clear's batch) holds the lock."""
    plain = create_account(app, 'ops', 'administrator')
    with db.database.connection_context():
        AppPassword.update(last_used_at='2020-01-01 00:00:00').execute()
    writer = sqlite3.connect(urlparse(database_url).path, isolation_level=None)
    writer.execute('BEGIN IMMEDIATE')
    try:
        started = time.monotonic()
        response = client.get(f'{API}/jobs', headers=basic('ops', plain))
        waited = time.monotonic() - started
    finally:
        writer.execute('ROLLBACK')
        writer.close()
    assert response.status_code == 200 and waited < 2  # the busy timeout is 10 s
    with db.database.connection_context():
        assert str(AppPassword.get().last_used_at) == '2020-01-01 00:00:00'
    client.get(f'{API}/jobs', headers=basic('ops', plain))
    with db.database.connection_context():
        assert str(AppPassword.get().last_used_at) > '2020-01-01 00:00:00'


def test_generated_passwords(app):
    generated = {passwords.generate() for _ in range(50)}
    assert len(generated) == 50
    for plain in generated:
        assert len(plain) == 24 and plain.isalnum() and plain.isascii()
        groups = passwords.grouped(plain).split(' ')
        assert [len(g) for g in groups] == [4] * 6 and ''.join(groups) == plain
