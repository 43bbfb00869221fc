"""Fixtures: the same tests run on SQLite (a file) and, when DATAMACHINE_TEST_MYSQL_URL is set, on
MySQL/MariaDB (a uniquely named database, dropped at the end). An unreachable MySQL fails the run.
"""
import os
import shutil
import threading

import pytest
from hypothesis import settings
from support import BACKENDS, ROOT, basic, close_pool, create_account, fresh_database_url, make_app
from werkzeug.serving import make_server

from datamachine_jobs import db
from datamachine_jobs.models import (
    AppPassword,
    AsyncOperation,
    AuditRecord,
    AuthFailure,
    IdempotencyKey,
    Job,
    JobCount,
    JobRollup,
    ProcessedItem,
    RetentionRule,
    Session,
    User,
)
from datamachine_jobs.services import swap

# In CI Hypothesis draws the same examples every run, so that a red build is reproducible.
settings.register_profile('ci', derandomize=True, database=None)
if os.environ.get('CI'):
    settings.load_profile('ci')

CHECKOUT_INSTANCE = os.path.join(ROOT, 'instance')


def _instance_files():
    found = {}
    for folder, _, names in os.walk(CHECKOUT_INSTANCE):
        for name in names:
            path = os.path.join(folder, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


@pytest.fixture(scope='session', autouse=True)
def checkout_untouched():
    """No test writes into the checkout's instance folder (a secret or a database made there
    would outlive the run and leak into the next `make run`)."""
    before = _instance_files()
    yield
    assert _instance_files() == before


@pytest.fixture(scope='module')
def browser():
    """Debian's Chromium, headless, as root, reaching nothing beyond loopback; Playwright drives
    it and downloads no browser of its own."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=shutil.which('chromium') or '/usr/bin/chromium',
            args=['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run'])
        yield launched
        launched.close()


@pytest.fixture(scope='session', params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope='session')
def database_url(backend, tmp_path_factory):
    url, drop = fresh_database_url(backend, tmp_path_factory.mktemp(backend))
    yield url
    drop()


@pytest.fixture(scope='session')
def session_app(database_url):
    app = make_app(database_url)
    with app.app_context(), db.database.connection_context():
        db.migration_runner().up()
    yield app
    close_pool(app)


@pytest.fixture
def app(session_app):
    """The backend's app, its database bound and emptied after the test."""
    db.database.initialize(session_app.extensions['datamachine_database'])
    yield session_app
    for thread in threading.enumerate():  # a clear of every job on SQLite frees tables after
        if thread.name == swap.FREEING:
            thread.join(60)
    db.database.initialize(session_app.extensions['datamachine_database'])
    with db.database.connection_context():
        for model in (Session, AppPassword, User, ProcessedItem, Job, AuditRecord, IdempotencyKey,
                      AuthFailure, AsyncOperation, RetentionRule):
            model.delete().execute()
        # Also what the triggers keep: a test may have written jobs they never saw (inside a
        # transaction that deferred them, as test_clear_jobs does on purpose).
        for model in (JobCount, JobRollup):
            model.delete().execute()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_url(app):
    """The app served over real HTTP on loopback (a threaded werkzeug server); its base URL."""
    server = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_port}'
    server.shutdown()
    thread.join()


@pytest.fixture
def conn(app):
    """An open connection for direct database work in a test."""
    with db.database.connection_context():
        yield db.database


@pytest.fixture
def admin(app):
    """Authorization headers of an administrator."""
    return basic('admin', create_account(app, 'admin', 'administrator', 'admin@example.com'))


@pytest.fixture
def trigger(app, backend):
    """Create a trigger for one test (SQLite body, MySQL body) and drop it afterwards."""
    names = []

    def create(name, timing, table, condition, sqlite_action, mysql_action):
        names.append(name)
        with db.database.connection_context():
            if backend == 'sqlite':
                db.database.execute_sql(
                    f'CREATE TRIGGER {name} {timing} ON {table} WHEN {condition} '
                    f'BEGIN {sqlite_action}; END')
            else:
                db.database.execute_sql(
                    f'CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW BEGIN '
                    f'IF {condition} THEN {mysql_action}; END IF; END')

    yield create
    with db.database.connection_context():
        for name in names:
            db.database.execute_sql(f'DROP TRIGGER IF EXISTS {name}')
