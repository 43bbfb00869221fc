"""The OpenAPI document and the service agree: schemathesis drives a real gunicorn on each
backend with every check, a fixed seed and a bounded number of examples per operation, and any
server error or any answer the document does not describe fails the test with its report."""
import os
import subprocess
import sys

import pytest
from support import (
    API,
    ROOT,
    SECRET,
    Listener,
    fresh_database_url,
    gunicorn_argv,
    spawn,
    wait_until_up,
)

pytestmark = pytest.mark.slow

HERE = os.path.join(ROOT, 'tests', 'fuzz')
# Per operation, beyond the coverage phase's own cases; about a minute per backend on 2 cores.
EXAMPLES = 100
SEED = 1
USERNAME = 'fuzz'


def run(*command, env, timeout=60):
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def server(backend, tmp_path):
    """gunicorn with the production config on a fresh, migrated database holding one
    administrator; yields (base URL, password, its log file)."""
    url, drop = fresh_database_url(backend, tmp_path)
    metrics = tmp_path / 'metrics'
    metrics.mkdir()
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': SECRET,
           'PROMETHEUS_MULTIPROC_DIR': str(metrics),
           # The checks send wrong credentials on purpose, hundreds of times: counted, they
           # would block the fuzzing login itself with 429s for the rest of the run.
           'DATAMACHINE_AUTH_FAILURE_LIMIT': '0'}
    cli = os.path.join(os.path.dirname(sys.executable), 'datamachine-jobs')
    run(cli, 'db', 'upgrade', env=env)
    run(cli, 'users', 'create', USERNAME, '--role', 'administrator', env=env)
    password = run(cli, 'app-passwords', 'create', USERNAME, 'fuzz', env=env).splitlines()[-1]
    listener, log = Listener(), tmp_path / 'gunicorn.log'
    with open(log, 'w') as output:
        process = spawn(gunicorn_argv(listener, '-c', 'gunicorn.conf.py', '-w', '2'), [listener],
                        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        base = f'http://127.0.0.1:{listener.port}{API}'
        wait_until_up(base + '/openapi.json', process)
        yield base, password, log
    finally:
        process.terminate()
        process.wait(timeout=30)
        drop()


def test_the_service_answers_as_its_document_says(server, tmp_path):
    base, password, log = server
    command = [
        os.path.join(os.path.dirname(sys.executable), 'schemathesis'),
        '--config-file', os.path.join(HERE, 'schemathesis.toml'), '--no-color',
        'run', base + '/openapi.json', '--checks', 'all',
        '--phases', 'examples,coverage,fuzzing,stateful', '--max-examples', str(EXAMPLES),
        '--seed', str(SEED), '--workers', '1', '--generation-database', 'none',
        '--request-timeout', '10', '--auth', f'{USERNAME}:{password}']
    env = {**os.environ, 'SCHEMATHESIS_HOOKS': os.path.join(HERE, 'hooks.py')}
    # In tmp_path: schemathesis keeps its working files in the current directory.
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    errors = [line for line in log.read_text().splitlines() if '"level":"ERROR"' in line]
    assert done.returncode == 0 and not errors, '\n'.join(
        [done.stdout[-30000:], done.stderr[-5000:], *errors[:20]])
    print(*done.stdout.splitlines()[-6:], sep='\n')  # the counts, for `pytest -rP`
