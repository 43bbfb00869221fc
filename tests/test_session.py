"""The dashboard's sign-in, WordPress's cookie-and-nonce model: POST /session opens a session
bound to an application password, a request it authenticates must carry the nonce (so another
site cannot act with the cookie), and revoking the password, idleness, age or signing out end
it. Basic auth is untouched."""
import json

import pytest
from support import (
    API,
    basic,
    change_settings,
    count_rows,
    create_account,
    insert_job,
    settings_of,
)

from datamachine_jobs import db
from datamachine_jobs.models import AppPassword, AuditRecord, Job, Session
from datamachine_jobs.services import accounts, sessions

COOKIE = 'datamachine_session'


@pytest.fixture
def password(app):
    return create_account(app, 'ops', 'administrator')


def sign_in(client, password, username='ops'):
    return client.post(f'{API}/session', json={'username': username, 'password': password})


@pytest.fixture
def nonce(client, password):
    """Sign `client` in as an administrator; return the nonce."""
    response = sign_in(client, password)
    assert response.status_code == 200, response.get_json()
    return {'X-WP-Nonce': response.get_json()['data']['nonce']}


def test_signing_in_answers_the_user_and_a_nonce_and_sets_a_private_cookie(client, password):
    response = sign_in(client, password)
    assert response.status_code == 200
    body = response.get_json()
    with db.database.connection_context():
        user_id = AppPassword.get().user_id
    assert body == {'success': True, 'data': {
        'user': {'id': user_id, 'username': 'ops', 'role': 'administrator',
                 'capabilities': ['manage_options']},
        'app_password': 'tests', 'nonce': body['data']['nonce']}}
    assert len(body['data']['nonce']) == 32
    [cookie] = response.headers.getlist('Set-Cookie')
    assert cookie.startswith(f'{COOKIE}=')
    assert {'HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=172800'} <= set(
        part.strip() for part in cookie.split(';'))
    assert 'Secure' not in cookie
    assert count_rows(Session) == 1


def test_the_cookie_is_secure_over_https(app, password):
    response = app.test_client().post(f'{API}/session', base_url='https://localhost',
                                      json={'username': 'ops', 'password': password})
    assert response.status_code == 200
    assert 'Secure' in response.headers['Set-Cookie']


@pytest.mark.parametrize('login, status, code', [
    ('ops', 401, 'invalid_credentials'),
    ('nobody', 401, 'invalid_credentials'),
])
def test_a_wrong_password_opens_nothing_and_asks_no_browser_dialog(client, password, login,
                                                                   status, code):
    response = sign_in(client, 'x' * 24, login)
    assert response.status_code == status
    assert response.get_json() == {'code': code, 'message': (
        'Invalid username or application password.'), 'data': {'status': status}}
    assert 'WWW-Authenticate' not in response.headers
    assert 'Set-Cookie' not in response.headers
    assert count_rows(Session) == 0


def test_missing_fields_are_named(client):
    response = client.post(f'{API}/session', json={'username': 'ops'})
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == ['password']


def test_the_cookie_with_its_nonce_is_a_signed_in_user(client, nonce):
    job = insert_job()
    response = client.get(f'{API}/jobs', headers=nonce)
    assert response.status_code == 200
    assert [j['job_id'] for j in response.get_json()['data']] == [job]


def test_the_cookie_without_the_nonce_is_ignored(client, nonce):
    response = client.get(f'{API}/jobs')
    assert response.status_code == 401
    assert response.get_json()['code'] == 'rest_not_logged_in'
    assert 'WWW-Authenticate' not in response.headers


@pytest.mark.parametrize('method, body', [
    ('DELETE', {'type': 'all', 'cleanup_processed': True}),
    ('POST', {'pipeline_id': 1, 'flow_id': 1}),
])
@pytest.mark.parametrize('forged, status, code', [
    (None, 401, 'rest_not_logged_in'),
    ('0' * 32, 403, 'rest_cookie_invalid_nonce'),
    ('', 403, 'rest_cookie_invalid_nonce'),
])
def test_a_cross_site_request_with_the_cookie_changes_nothing(client, nonce, method, body,
                                                             forged, status, code):
    """What a form or script of another site could send with the operator's cookie: no nonce,
    or one it made up."""
    insert_job('failed')
    headers = {} if forged is None else {'X-WP-Nonce': forged}
    response = client.open(f'{API}/jobs', method=method, json=body, headers=headers)
    assert response.status_code == status
    assert response.get_json()['code'] == code
    assert count_rows(Job) == 1 and count_rows(AuditRecord) == 0


def test_a_nonce_lasts_its_half_day_and_the_next(app):
    key = settings_of(app).session_key
    start = 1_800_000_000 - 1_800_000_000 % sessions.NONCE_TICK
    given = sessions.nonce('token', key, now=start + 1)
    assert sessions.nonce_matches(given, 'token', key, now=start + sessions.NONCE_TICK * 2 - 1)
    assert not sessions.nonce_matches(given, 'token', key, now=start + sessions.NONCE_TICK * 2)
    assert not sessions.nonce_matches(given, 'another token', key, now=start + 1)


def test_after_a_reload_the_session_gives_a_fresh_nonce(client, nonce):
    """The page cannot keep the nonce across a reload; the cookie alone may read it back."""
    again = client.get(f'{API}/session')
    assert again.status_code == 200
    assert again.get_json()['data']['user']['username'] == 'ops'
    fresh = {'X-WP-Nonce': again.get_json()['data']['nonce']}
    assert client.get(f'{API}/jobs', headers=fresh).status_code == 200


def test_without_a_session_there_is_nothing_to_read(client):
    response = client.get(f'{API}/session')
    assert response.status_code == 401
    assert response.get_json()['code'] == 'rest_not_logged_in'
    assert 'WWW-Authenticate' not in response.headers


def test_revoking_the_application_password_ends_the_session(client, nonce):
    with db.database.connection_context():
        accounts.revoke_app_password('ops', AppPassword.get().uuid)
    assert client.get(f'{API}/jobs', headers=nonce).status_code == 401
    assert client.get(f'{API}/session').status_code == 401


@pytest.mark.parametrize('column', ['last_seen_at', 'created_at'])
def test_an_idle_or_old_session_has_ended(app, client, nonce, monkeypatch, column):
    change_settings(monkeypatch, app, session_idle_timeout=600, session_lifetime=3600)
    assert client.get(f'{API}/jobs', headers=nonce).status_code == 200
    limit = 600 if column == 'last_seen_at' else 3600
    earlier = (f'{column} - INTERVAL {limit + 5} SECOND' if db.is_mysql() else
               f"datetime({column}, '-{limit + 5} seconds')")
    with db.database.connection_context():
        db.database.execute_sql(f'UPDATE datamachine_sessions SET {column} = {earlier}')
    assert client.get(f'{API}/jobs', headers=nonce).status_code == 401


def test_a_dashboard_clear_is_audited_as_the_dashboards(client, nonce):
    insert_job('failed')
    response = client.delete(f'{API}/jobs', headers=nonce, json={'type': 'failed'})
    assert response.status_code == 200 and response.get_json()['jobs_deleted'] == 1
    with db.database.connection_context():
        record = AuditRecord.get()
    assert (record.via, record.username, record.app_password) == ('dashboard', 'ops', 'tests')
    assert json.loads(record.parameters) == {'type': 'failed'}


def test_signing_out_ends_the_session_everywhere(client, nonce):
    cookie = client.get_cookie(COOKIE).value
    response = client.delete(f'{API}/session', headers=nonce)
    assert response.status_code == 200 and response.get_json() == {'success': True}
    assert client.get_cookie(COOKIE) is None
    assert count_rows(Session) == 0
    client.set_cookie(COOKIE, cookie)  # a copy of the cookie kept elsewhere
    assert client.get(f'{API}/jobs', headers=nonce).status_code == 401


def test_signing_out_needs_the_nonce(client, nonce):
    assert client.delete(f'{API}/session').status_code == 401
    assert client.delete(f'{API}/session', headers={'X-WP-Nonce': 'f' * 32}).status_code == 403
    assert count_rows(Session) == 1


def test_a_subscriber_signs_in_but_may_not_manage_jobs(app, client):
    plain = create_account(app, 'reader', 'subscriber')
    signed_in = sign_in(client, plain, 'reader')
    assert signed_in.status_code == 200
    assert signed_in.get_json()['data']['user']['capabilities'] == []
    response = client.get(f'{API}/jobs', headers={
        'X-WP-Nonce': signed_in.get_json()['data']['nonce']})
    assert response.status_code == 403 and response.get_json()['code'] == 'rest_forbidden'


def test_basic_auth_is_unchanged_beside_a_session(client, nonce, password):
    assert client.get(f'{API}/jobs', headers=basic('ops', password)).status_code == 200
    wrong = client.get(f'{API}/jobs', headers=basic('ops', 'y' * 24))
    assert wrong.status_code == 401 and wrong.get_json()['code'] == 'invalid_credentials'
