"""Helpers for the tests: backends, apps, accounts, rows written straight to the database and
scraped metrics."""
import base64
import contextlib
import dataclasses
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

import pymysql
import requests
from documented import DocumentedClient
from prometheus_client.parser import text_string_to_metric_families

from datamachine_jobs import create_app, db
from datamachine_jobs.migrating import rollups
from datamachine_jobs.models import Job, ProcessedItem
from datamachine_jobs.services import accounts

MYSQL_URL = os.environ.get('DATAMACHINE_TEST_MYSQL_URL')
BACKENDS = ['sqlite'] + (['mysql'] if MYSQL_URL else [])
SECRET = 'test-secret'
API = '/wp-json/datamachine/v1'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout
CLIENT = os.path.join(ROOT, 'clients', 'python')  # the client distribution, as runners install it


def mysql_admin_connection(url=MYSQL_URL):
    """A raw connection to the MySQL server of `url`, outside the app."""
    parsed = urlparse(url)
    return pymysql.connect(host=parsed.hostname or '127.0.0.1', port=parsed.port or 3306,
                           user=parsed.username or 'root', password=parsed.password or '',
                           autocommit=True)


def fresh_database_url(backend, directory):
    """Create an empty database; return its URL and a function that drops it."""
    if backend == 'sqlite':
        return f'sqlite:///{directory / "jobs.db"}', lambda: None
    name = f'dmj_test_{uuid.uuid4().hex[:12]}'
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')

    def drop():
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS `{name}`')

    return urlparse(MYSQL_URL)._replace(path='/' + name).geturl(), drop


def make_app(url, **overrides):
    """An app on `url` with the test secret, whose test clients check every answer against the
    OpenAPI document."""
    app = create_app({'database_url': url, 'secret_key': SECRET, 'TESTING': True, **overrides})
    app.test_client_class = DocumentedClient
    return app


def settings_of(app):
    """The settings `app` runs with."""
    return app.extensions['datamachine_config']


def change_settings(monkeypatch, app, **changes):
    """Change some of `app`'s settings for one test, as if its environment had said so."""
    monkeypatch.setitem(app.extensions, 'datamachine_config',
                        dataclasses.replace(settings_of(app), **changes))


def close_pool(app):
    database = app.extensions['datamachine_database']
    if hasattr(database, 'close_all'):
        database.close_all()


class Listener:
    """A socket listening on a free loopback port, for a server process to inherit (gunicorn's
    `fd://`, werkzeug's WERKZEUG_SERVER_FD, nginx's NGINX): no other process can take the port
    between its choice and the server's start, as one could with a port picked and released."""

    def __init__(self):
        self.socket = socket.create_server(('127.0.0.1', 0), backlog=128)
        self.socket.set_inheritable(True)
        self.port, self.fd = self.socket.getsockname()[1], self.socket.fileno()

    def close(self):
        self.socket.close()


def spawn(argv, listeners, **options):
    """Start a server process that inherits `listeners`, then close this process's copies (so a
    server that dies leaves nobody listening)."""
    try:
        return subprocess.Popen(argv, pass_fds=[listener.fd for listener in listeners],
                                **options)
    finally:
        for listener in listeners:
            listener.close()


def gunicorn_argv(listener, *options):
    """The command that serves wsgi:app with gunicorn on `listener`."""
    return [sys.executable, '-m', 'gunicorn', *options, '-b', f'fd://{listener.fd}', 'wsgi:app']


@contextlib.contextmanager
def production_gunicorn(database_url, tmp_path, workers, **settings):
    """gunicorn with gunicorn.conf.py and `workers` workers on `database_url`, up and answering,
    its output in tmp_path/gunicorn.log; yields (base URL, master process, loopback session)."""
    listener = Listener()
    os.makedirs(tmp_path / 'metrics', exist_ok=True)
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
           'DATAMACHINE_SECRET_KEY': SECRET, 'PROMETHEUS_MULTIPROC_DIR': str(tmp_path / 'metrics'),
           **settings}
    with open(tmp_path / 'gunicorn.log', 'w') as log:
        master = spawn(gunicorn_argv(listener, '-c', 'gunicorn.conf.py', '-w', str(workers)),
                       [listener], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{listener.port}'
    http = requests.Session()
    http.trust_env = False  # loopback only, whatever proxy the environment names
    try:
        wait_until_up(f'{base}/healthz', master, session=http)
        yield base, master, http
    finally:
        master.terminate()
        master.wait(timeout=40)


def wait_for(condition, what, seconds=30):
    """Wait until `condition()` is true, failing after `seconds` with what was awaited."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'waited {seconds} s for {what}')
        time.sleep(0.02)


def wait_until_up(url, process, seconds=30, session=requests):
    """Wait until a server started as `process` answers `url`, failing if it exits first."""

    def answers():
        if process.poll() is not None:
            raise AssertionError(f'{process.args[0]} exited with {process.returncode}')
        try:
            session.get(url, timeout=5)
        except (requests.ConnectionError, requests.Timeout):
            # Refused, or (on a socket that was listening before the server started) accepted
            # but not yet answered.
            return False
        return True

    wait_for(answers, f'{url} to answer', seconds)


def job_ids(response):
    """The ids of the jobs a successful GET /jobs answered, in order."""
    assert response.status_code == 200, response.get_json()
    return [job['job_id'] for job in response.get_json()['data']]


def matches_pattern(pattern, value):
    """Whether `value` matches an anchored JSON Schema pattern, whose `$` is the very end (in
    Python's reading it also matches before a final newline)."""
    return re.fullmatch(pattern.removeprefix('^').removesuffix('$'), value) is not None


def basic(username, password):
    token = base64.b64encode(f'{username}:{password}'.encode()).decode()
    return {'Authorization': f'Basic {token}'}


def basic_credentials(headers):
    """(username, password) of Basic auth headers."""
    token = headers['Authorization'].removeprefix('Basic ')
    return tuple(base64.b64decode(token).decode().split(':', 1))


def create_account(app, username, role, email=None):
    """Create a user with one application password; return the plain password."""
    with app.app_context(), db.database.connection_context():
        accounts.create_user(username, role, email)
        _, plain = accounts.create_app_password(username, 'tests',
                                                settings_of(app).password_key)
    return plain


def insert_job(status='completed', pipeline_id=1, flow_id=1, started_at='2026-01-01 00:00:00',
               completed_at='__auto__', error_message=None):
    """Insert one job row directly; return its id."""
    if completed_at == '__auto__':
        completed_at = None if status in ('pending', 'processing') else '2026-01-01 00:01:00'
    if status == 'pending':
        started_at = None
    with db.database.connection_context():
        return Job.insert(pipeline_id=pipeline_id, flow_id=flow_id, status=status,
                          started_at=started_at, completed_at=completed_at,
                          error_message=error_message).execute()


def fail_every_job():
    """Make every job failed, through the triggers, so that `type=failed` matches them all: a
    clear of the whole table in batches on every backend (one of `type=all` swaps the tables on
    SQLite, in one transaction that nothing can interrupt half-way)."""
    with db.database.connection_context():
        db.database.execute_sql(
            "UPDATE datamachine_jobs SET status = 'failed' WHERE status <> 'failed'")


def insert_items(job_id, count, flow_id=1, pipeline_id=1):
    """Insert `count` processed items for a job; return their ids."""
    with db.database.connection_context():
        return [ProcessedItem.insert(
            flow_step_id=f'step-{pipeline_id}_{flow_id}', source_type='rss',
            item_identifier=f'https://example.com/{job_id}/{n}/{uuid.uuid4().hex}', job_id=job_id,
            flow_id=flow_id, pipeline_id=pipeline_id).execute() for n in range(count)]


def count_rows(model, *where):
    with db.database.connection_context():
        query = model.select()
        return (query.where(*where) if where else query).count()


def scrape(client, headers=None):
    """{(sample name, sorted label pairs): value} of one GET /metrics."""
    response = client.get('/metrics', headers=headers or {})
    assert response.status_code == 200, response.data
    assert response.content_type.startswith('text/plain')
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def delta(before, after, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


def pipe(source, sink):
    """Copy one socket's bytes to another until the first ends, then end the second."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class TcpRelay:
    """A loopback TCP relay to a database server that a test can cut and restore, so that the
    app sees the server go away and come back without stopping the real one."""

    def __init__(self, target_port, target_host='127.0.0.1'):
        self.target = (target_host, target_port)
        self.port = None
        self._listener = None
        self._sockets = []
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port or 0))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self):
        """Refuse new connections and cut the open ones."""
        with self._lock:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._listener.close()
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets = []

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()



@contextlib.contextmanager
def outage_switch(backend, tmp_path):
    """Yield (database URL, cut, restore): SQLite moves its folder away and back; MySQL goes
    through a relay that is cut and restored."""
    if backend == 'sqlite':
        home, away = tmp_path / 'data', tmp_path / 'away'
        home.mkdir()
        yield (f'sqlite:///{home / "jobs.db"}', lambda: os.rename(home, away),
               lambda: os.rename(away, home))
        return
    url, drop = fresh_database_url(backend, tmp_path)
    target = urlparse(url)
    relay = TcpRelay(target.port or 3306, target.hostname).start()
    credentials = target.netloc.rpartition('@')[0]
    try:
        yield (target._replace(netloc=f'{credentials}@127.0.0.1:{relay.port}').geturl(),
               relay.stop, relay.start)
    finally:
        relay.stop()
        drop()


def rollups_and_jobs():
    """{cell: (jobs, seconds)} as the kept rollups say, and as computed afresh from every job.
    Cells holding no job are left out of both; base statuses compare in lower case, as the
    database's collation does."""
    def normal(cells):
        found = {}
        for *key, n, seconds in cells:
            key[4] = key[4].lower()
            n0, s0 = found.get(tuple(key), (0, 0))
            found[tuple(key)] = (n0 + int(n), s0 + int(seconds))
        return {key: value for key, value in found.items() if value != (0, 0)}

    with db.database.connection_context():
        kept = db.database.execute_sql(
            f'SELECT {", ".join(rollups.KEY)}, n, seconds FROM {rollups.TABLE}').fetchall()
        jobs = db.database.execute_sql(
            f'SELECT {rollups.JOB_COLUMNS} FROM datamachine_jobs').fetchall()
    return normal(kept), normal(rollups.cells_of(jobs, 1))


def matches(row, params):
    """Whether a job (a dict of its columns) passes the list filters in `params` as the API
    reads them: statuses in any case, a base one matching its compound forms; `_after`
    inclusive, `_before` exclusive, a missing time in no window."""
    for key in ('pipeline_id', 'flow_id'):
        if key in params and row[key] != params[key]:
            return False
    status = row['status'].lower()
    if 'status' in params and not any(
            status == wanted.lower() if ' - ' in wanted else
            status.split(' - ')[0] == wanted.lower() for wanted in params['status'].split(',')):
        return False
    for name, column, inclusive in [('started_after', 'started_at', True),
                                    ('started_before', 'started_at', False),
                                    ('completed_after', 'completed_at', True),
                                    ('completed_before', 'completed_at', False)]:
        if name in params:
            value = row[column]
            if value is None or not (value >= params[name] if inclusive
                                     else value < params[name]):
                return False
    return True
