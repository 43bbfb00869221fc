"""Real servers: gunicorn with several workers and the dev server agree, and runners racing
through gunicorn to claim one job get exactly one winner."""
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support import (
    API,
    ROOT,
    SECRET,
    Listener,
    create_account,
    gunicorn_argv,
    insert_job,
    spawn,
    wait_until_up,
)

from datamachine_jobs import db
from datamachine_jobs.services import seed

pytestmark = pytest.mark.slow

COMPARED_HEADERS = ('Content-Type', 'X-WP-Total', 'X-WP-TotalPages', 'WWW-Authenticate', 'Allow')


@pytest.fixture
def serve(database_url, app):
    """Start a server on a socket it inherits, against the test database; return its base URL."""
    processes = []
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
           'DATAMACHINE_SECRET_KEY': SECRET}

    def start(argv_of, env_of=lambda listener: {}):
        listener = Listener()
        process = spawn(argv_of(listener), [listener], cwd=ROOT, env={**env, **env_of(listener)},
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        base = f'http://127.0.0.1:{listener.port}{API}'
        wait_until_up(base + '/jobs', process)
        return base

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def snapshot(response):
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    if headers['Allow']:
        headers['Allow'] = sorted(headers['Allow'].split(', '))
    return response.status_code, headers, response.json()


def test_gunicorn_and_dev_server_agree(app, serve):
    with app.app_context(), db.database.connection_context():
        seed.seed(300, rng_seed=1)
    auth = ('admin', create_account(app, 'admin', 'administrator'))
    gunicorn = serve(lambda listener: gunicorn_argv(listener, '-w', '3'))
    # werkzeug serves on an inherited socket when told it runs under its reloader.
    dev = serve(lambda listener: [sys.executable, '-m', 'flask', '--app', 'app', 'run'],
                lambda listener: {'WERKZEUG_RUN_MAIN': 'true',
                                  'WERKZEUG_SERVER_FD': str(listener.fd)})

    requests_to_compare = [
        ('get', '/jobs', {}, auth), ('get', '/jobs?status=failed', {}, auth),
        ('get', '/jobs?flow_id=42&per_page=25&offset=0', {}, auth),
        ('get', '/jobs?pipeline_id=5', {}, auth),
        ('get', '/jobs?orderby=completed_at&order=DESC', {}, auth),
        ('get', '/jobs?status=completed&per_page=100', {}, auth),
        ('get', '/jobs?status=agent_skipped&orderby=j.started_at&order=asc', {}, auth),
        ('get', '/jobs/7', {}, auth), ('get', '/jobs/999999', {}, auth),
        ('get', '/jobs?per_page=0&orderby=x', {}, auth), ('get', '/jobs', {}, None),
        ('get', '/jobs', {}, ('admin', 'x' * 24)), ('put', '/jobs', {}, auth),
        ('get', '/nope', {}, None), ('delete', '/jobs', {'type': 'bogus'}, auth),
        ('delete', '/jobs', {}, auth),
    ]
    with requests.Session() as session:
        for method, path, body, credentials in requests_to_compare:
            answers = [snapshot(session.request(method, base + path, json=body or None,
                                                auth=credentials, timeout=10))
                       for base in (gunicorn, dev)]
            assert answers[0] == answers[1], (method, path)

        # Spread over the workers: every answer the same.
        pages = {str(session.get(gunicorn + '/jobs?status=failed', auth=auth).json())
                 for _ in range(20)}
        assert len(pages) == 1

        cleared = session.delete(gunicorn + '/jobs', json={'type': 'failed',
                                                           'cleanup_processed': True}, auth=auth)
        assert cleared.status_code == 200 and cleared.json()['jobs_deleted'] > 0
        assert session.get(dev + '/jobs?status=failed', auth=auth).json()['total'] == 0


def test_the_dev_server_logs_each_request_once(database_url, app, tmp_path):
    """One JSON line per request, none of werkzeug's access lines."""
    listener = Listener()
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
           'DATAMACHINE_SECRET_KEY': SECRET, 'WERKZEUG_RUN_MAIN': 'true',
           'WERKZEUG_SERVER_FD': str(listener.fd)}
    with open(tmp_path / 'dev.log', 'w') as log:
        process = spawn([sys.executable, '-m', 'flask', '--app', 'app', 'run'], [listener],
                        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{listener.port}'
    try:
        wait_until_up(base + '/healthz', process)
        for path in ('/healthz', f'{API}/jobs', f'{API}/nope'):
            requests.get(base + path, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = (tmp_path / 'dev.log').read_text().splitlines()
    for path in (f'{API}/jobs', f'{API}/nope'):
        logged = [line for line in lines if path + ' ' in line or f'"{path}"' in line]
        assert len(logged) == 1 and logged[0].startswith('{'), lines
    assert not [line for line in lines if ' - - [' in line], lines


RUNNERS = 8


def test_racing_claims_have_exactly_one_winner(app, serve):
    auth = ('runner', create_account(app, 'runner', 'administrator'))
    base = serve(lambda listener: gunicorn_argv(listener, '-w', '4'))
    sessions = [requests.Session() for _ in range(RUNNERS)]
    for session in sessions:  # open every connection before the race starts
        session.auth = auth
        assert session.get(base + '/jobs?per_page=1', timeout=10).status_code == 200
    start = threading.Barrier(RUNNERS)

    def claim(session, job_id):
        start.wait(timeout=10)
        response = session.patch(f'{base}/jobs/{job_id}', json={'status': 'processing'},
                                 timeout=10)
        return response.status_code, response.json()

    with ThreadPoolExecutor(RUNNERS) as pool:
        for _ in range(10):
            job_id = insert_job('pending')
            answers = list(pool.map(claim, sessions, [job_id] * RUNNERS))
            codes = sorted(code for code, _ in answers)
            assert codes == [200] + [409] * (RUNNERS - 1), answers
            for code, body in answers:
                if code == 409:
                    assert body['code'] == 'invalid_transition'
                    assert body['data']['current_status'] == 'processing'
    for session in sessions:
        session.close()


def start_gunicorn(tmp_path, database_url, *options, **env):
    """Start gunicorn.conf.py with one worker and `options`; return the process and a function
    reading its output so far."""
    listener, log = Listener(), tmp_path / 'gunicorn.log'
    with open(log, 'w') as output:
        process = spawn(gunicorn_argv(listener, '-c', 'gunicorn.conf.py', '-w', '1', *options),
                        [listener], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                        env={**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
                             'DATAMACHINE_SECRET_KEY': SECRET, **env})
    process.base = f'http://127.0.0.1:{listener.port}'
    return process, log.read_text


@pytest.mark.parametrize('url, beginning', [
    ('postgres://db/jobs', "datamachine-jobs: DATAMACHINE_DATABASE_URL: unsupported scheme "
                           "'postgres' (use sqlite:///path/to.db or "
                           "mysql://user:pass@host:3306/db)"),
    # 2002 from mysqlclient, 2003 from PyMySQL: nothing listens on port 1
    ('mysql://root@127.0.0.1:1/jobs', 'datamachine-jobs: the database cannot be reached: (200'),
    ('sqlite:///{tmp}/empty.db', 'datamachine-jobs: the database schema is not current '
                                 '(14 migration(s) pending): run `datamachine-jobs db upgrade`'),
])
def test_gunicorn_refuses_to_boot_with_one_line(tmp_path, url, beginning):
    process, output_so_far = start_gunicorn(tmp_path, url.format(tmp=tmp_path))
    status = process.wait(timeout=60)
    output = output_so_far()
    assert status == 1, output
    assert 'Traceback' not in output and 'Booting worker' not in output, output
    [said] = [text for text in output.splitlines() if text.startswith('datamachine-jobs: ')]
    assert said.startswith(beginning), said


def test_gunicorn_boots_without_a_writable_home(tmp_path, database_url, app):
    """No control socket: gunicorn 27 would otherwise try to create one under $HOME and log
    a "Control server error" at every start."""
    settings = subprocess.run([sys.executable, '-m', 'gunicorn', '-c', 'gunicorn.conf.py',
                               '--print-config', 'wsgi:app'], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, check=True, env={
                                  **os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
                                  'DATAMACHINE_SECRET_KEY': SECRET}).stdout
    assert re.search(r'^control_socket_disable += True$', settings, re.M), settings
    process, output_so_far = start_gunicorn(tmp_path, database_url, HOME='/dev/null')
    try:
        wait_until_up(f'{process.base}/healthz', process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    output = output_so_far()
    assert 'Booting worker' in output and '"level":"ERROR"' not in output, output
