"""Settings: the instance folder's defaults (a generated secret, an SQLite file) and the check a
server runs before it takes traffic (datamachine_jobs.startup, which gunicorn.conf.py calls)."""
import os
import stat
from concurrent.futures import ProcessPoolExecutor

import pytest
from support import SECRET

from datamachine_jobs import startup
from datamachine_jobs.config import Config


def resolved_secret(folder):
    return Config().resolved(folder).secret_key


def test_an_unset_secret_is_generated_once_and_kept_private(tmp_path):
    first = Config().resolved(tmp_path)
    again = Config().resolved(tmp_path)
    assert len(first.secret_key) == 64 and again.secret_key == first.secret_key
    assert stat.S_IMODE(os.stat(tmp_path / 'secret_key').st_mode) == 0o600
    assert first.database_url == f'sqlite:///{tmp_path / "datamachine.db"}'
    assert len(first.password_key) == 32 and first.cursor_key != first.password_key


def test_workers_starting_together_agree_on_the_generated_secret(tmp_path):
    with ProcessPoolExecutor(4) as pool:
        secrets = set(pool.map(resolved_secret, [tmp_path] * 8))
    assert len(secrets) == 1
    assert sorted(os.listdir(tmp_path)) == ['secret_key']  # no draft left behind


def test_given_settings_are_kept(tmp_path):
    config = Config(database_url='sqlite:///elsewhere.db', secret_key='s').resolved(tmp_path)
    assert (config.database_url, config.secret_key) == ('sqlite:///elsewhere.db', 's')
    assert os.listdir(tmp_path) == []


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv('DATAMACHINE_SECRET_KEY', SECRET)
    return monkeypatch


def test_the_start_check_passes_a_current_database(environment, database_url, app):
    environment.setenv('DATAMACHINE_DATABASE_URL', database_url)
    assert startup.problem() is None


def test_the_start_check_names_a_bad_setting(environment):
    environment.setenv('DATAMACHINE_RETRY_AFTER', 'soon')
    assert startup.problem() == "DATAMACHINE_RETRY_AFTER must be a positive integer, got 'soon'"


def test_the_start_check_names_pending_migrations(environment, tmp_path):
    environment.setenv('DATAMACHINE_DATABASE_URL', f'sqlite:///{tmp_path / "new.db"}')
    assert startup.problem().startswith('the database schema is not current (14 migration(s) '
                                        'pending)')
