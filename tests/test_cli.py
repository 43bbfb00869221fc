"""The datamachine-jobs command line."""
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version

import pytest
from support import (
    API,
    MYSQL_URL,
    ROOT,
    SECRET,
    basic,
    close_pool,
    count_rows,
    fresh_database_url,
    insert_items,
    insert_job,
    make_app,
)

from datamachine_jobs import db
from datamachine_jobs.config import instance_database_url
from datamachine_jobs.models import AppPassword, Job, ProcessedItem, User

PASSWORD_LINE = re.compile(r'^([A-Za-z0-9]{4} ){5}[A-Za-z0-9]{4}$')

MIGRATIONS = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'migrations'))
                    if name[:4].isdigit() and name.endswith('.py'))
ALL_APPLIED = ''.join(f'applied {name}\n' for name in MIGRATIONS)

# What a command other than `db upgrade` says on a database that has no schema yet: an SQLite
# file is not there (and is not made), a MariaDB database is there but empty.
NOT_YET = {
    'sqlite': lambda url: (f'no database at {db.sqlite_path(url)} (DATAMACHINE_DATABASE_URL): '
                           'check the setting, or create it with `datamachine-jobs db upgrade`.'),
    'mysql': lambda url: (f'the schema of {url} is not current: run `datamachine-jobs db '
                          'upgrade`'),
}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, exit_code=0):
        result = runner.invoke(args=list(args))
        assert result.exit_code == exit_code, result.output
        return result.output
    return run


def test_users_and_app_passwords_lifecycle(cli, client):
    assert 'Created administrator' in cli('users', 'create', 'ops', '--role', 'administrator',
                                          '--email', 'ops@example.com')
    output = cli('app-passwords', 'create', 'ops', 'laptop')
    password = output.rstrip('\n').split('\n')[-1]
    assert PASSWORD_LINE.match(password)
    assert client.get(f'{API}/jobs', headers=basic('ops', password)).status_code == 200

    listing = cli('app-passwords', 'list', 'ops')
    with db.database.connection_context():
        record = AppPassword.get()
    assert record.uuid in listing and 'laptop' in listing
    assert password.replace(' ', '') not in listing

    cli('app-passwords', 'revoke', 'ops', record.uuid)
    assert client.get(f'{API}/jobs', headers=basic('ops', password)).status_code == 401
    assert 'no live application password' in cli('app-passwords', 'revoke', 'ops', record.uuid,
                                                  exit_code=1)


def test_user_errors(cli):
    cli('users', 'create', 'ops', '--role', 'editor')
    assert 'already exists' in cli('users', 'create', 'ops', '--role', 'editor', exit_code=1)
    assert "Invalid value for '--role'" in cli('users', 'create', 'x', '--role', 'king',
                                               exit_code=2)
    assert "no user named 'ghost'" in cli('app-passwords', 'create', 'ghost', 'n', exit_code=1)
    with db.database.connection_context():
        assert User.select().count() == 1


def test_seed_makes_realistic_data(cli):
    assert 'Added 3000 jobs' in cli('seed', '--jobs', '3000', '--random-seed', '3')
    with db.database.connection_context():
        jobs = list(Job.select(Job.job_id, Job.flow_id, Job.pipeline_id, Job.status,
                               Job.base_status, Job.started_at, Job.completed_at).tuples())
        items = list(ProcessedItem.select(ProcessedItem.job_id, ProcessedItem.flow_id,
                                          ProcessedItem.pipeline_id).tuples())
    assert len(jobs) == 3000
    bases = {row[4] for row in jobs}
    assert bases == {'pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
                     'failed'}
    assert any(' - ' in row[3] for row in jobs if row[4] == 'failed')
    assert any(' - ' in row[3] for row in jobs if row[4] == 'agent_skipped')
    assert {row[1] for row in jobs} <= set(range(1, 201))
    assert all(row[2] == (row[1] - 1) // 10 + 1 for row in jobs)
    for _, _, _, _, base, started, completed in jobs:
        assert (completed is None) == (base in ('pending', 'processing'))
        assert (started is None) == (base == 'pending')
        if completed:
            assert completed >= started
    finished = sum(1 for row in jobs if row[6] is not None)
    assert 1.7 < len(items) / finished < 2.3
    by_id = {row[0]: row for row in jobs}
    assert all((by_id[j][1], by_id[j][2]) == (f, p) for j, f, p in items)


def test_seed_appends_after_existing_jobs(cli):
    cli('seed', '--jobs', '10')
    cli('seed', '--jobs', '10')
    with db.database.connection_context():
        assert Job.select().count() == 20
    assert "Invalid value for '--jobs'" in cli('seed', '--jobs', '0', exit_code=2)


def test_seed_after_a_clear_never_reuses_job_ids(cli):
    """Processed items outlive their jobs; new jobs with old ids would collide with them."""
    cli('seed', '--jobs', '30', '--random-seed', '1')
    with db.database.connection_context():
        cleared = max(job_id for (job_id,) in Job.select(Job.job_id).tuples())
        kept_items = ProcessedItem.select().count()
    cli('jobs', 'clear', '--type', 'all', '--yes')
    assert 'Added 30 jobs' in cli('seed', '--jobs', '30', '--random-seed', '1')
    with db.database.connection_context():
        assert min(job_id for (job_id,) in Job.select(Job.job_id).tuples()) == cleared + 1
        assert ProcessedItem.select().count() > kept_items > 0


def test_demo_is_idempotent(cli, client):
    first = cli('demo', '--jobs', '40')
    match = re.search(r"curl -u 'admin:([A-Za-z0-9 ]+)' http://127\.0\.0\.1:5000"
                      r"/wp-json/datamachine/v1/jobs", first)
    assert match, first
    assert client.get(f'{API}/jobs', headers=basic('admin', match.group(1))).get_json()[
        'total'] == 40
    assert 'Dashboard: http://127.0.0.1:5000/dashboard/ (sign in as admin' in first
    second = cli('demo', '--jobs', '40')
    assert 'exists' in second and 'curl' not in second
    assert 'Dashboard: http://127.0.0.1:5000/dashboard/' in second
    with db.database.connection_context():
        assert User.select().count() == 1 and Job.select().count() == 40


def test_db_upgrade_is_idempotent_and_required(backend, tmp_path):
    url, drop = fresh_database_url(backend, tmp_path)
    app = make_app(url)
    try:
        runner = app.test_cli_runner()
        refused = runner.invoke(args=['users', 'create', 'x', '--role', 'editor'])
        assert refused.exit_code == 1
        assert refused.output == f'Error: {NOT_YET[backend](url)}\n'
        assert runner.invoke(args=['db', 'upgrade']).output == ALL_APPLIED
        assert runner.invoke(args=['db', 'upgrade']).output == (
            'The database schema is up to date.\n')
    finally:
        close_pool(app)
        drop()


def test_db_status_and_downgrade(backend, tmp_path):
    url, drop = fresh_database_url(backend, tmp_path)
    app = make_app(url)
    try:
        runner = app.test_cli_runner()

        def run(*args, exit_code=0):
            result = runner.invoke(args=['db', *args])
            assert result.exit_code == exit_code, result.output
            return result.output

        if backend == 'mysql':
            assert run('status', exit_code=1) == ALL_APPLIED.replace('applied', 'pending')
        else:
            assert run('status', exit_code=1) == f'Error: {NOT_YET[backend](url)}\n'
        run('upgrade')
        assert run('status') == ALL_APPLIED

        assert 'Aborted!' in run('downgrade', '6', exit_code=1)  # not confirmed: nothing happens
        assert run('status') == ALL_APPLIED
        after_6 = [name for name in MIGRATIONS if name > '0007']
        assert run('downgrade', '6', '--yes') == ''.join(
            f'reverted {name}\n' for name in reversed(after_6))
        assert run('status', exit_code=1) == ''.join(
            f'{"pending" if name in after_6 else "applied"} {name}\n' for name in MIGRATIONS)
        assert run('downgrade', '6', '--yes') == 'Nothing to revert.\n'
        assert 'there is no migration 0042' in run('downgrade', '42', '--yes', exit_code=2)
        assert run('downgrade', '0', '--yes') == ''.join(
            f'reverted {line.split()[1]}\n' for line in reversed(ALL_APPLIED.splitlines())
            if line.split()[1] < '0007')
        assert run('status', exit_code=1) == ALL_APPLIED.replace('applied', 'pending')
        assert run('upgrade') == ALL_APPLIED
    finally:
        close_pool(app)
        drop()


@pytest.mark.slow
def test_console_script(tmp_path):
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': f'sqlite:///{tmp_path / "cli.db"}',
           'DATAMACHINE_SECRET_KEY': SECRET}
    script = os.path.join(os.path.dirname(sys.executable), 'datamachine-jobs')
    for expected in (ALL_APPLIED.strip(), 'The database schema is up to date.'):
        done = subprocess.run([script, 'db', 'upgrade'], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and done.stdout.strip() == expected, done.stderr
    bad = subprocess.run([script, 'db', 'upgrade'], capture_output=True, text=True, timeout=60,
                         env={**env, 'DATAMACHINE_DATABASE_URL': 'postgres://x/y'})
    assert bad.returncode != 0
    assert bad.stderr == ("Error: DATAMACHINE_DATABASE_URL: unsupported scheme 'postgres' (use "
                          "sqlite:///path/to.db or mysql://user:pass@host:3306/db)\n")
    shown = subprocess.run([script, '--version'], env=env, capture_output=True, text=True,
                           timeout=60)
    assert (shown.returncode, shown.stdout) == (0, f"datamachine-jobs, version "
                                                  f"{version('datamachine-jobs')}\n")


@pytest.mark.slow
@pytest.mark.parametrize('variable, value, message', [
    ('DATAMACHINE_DATABASE_URL', 'mysql://root@127.0.0.1',
     "DATAMACHINE_DATABASE_URL 'mysql://root@127.0.0.1' names no database"),
    ('DATAMACHINE_CLEAR_BATCH_SIZE', 'abc',
     "DATAMACHINE_CLEAR_BATCH_SIZE must be a positive integer up to 30000, got 'abc'"),
    ('DATAMACHINE_CLEAR_BATCH_SIZE', '40000',
     "DATAMACHINE_CLEAR_BATCH_SIZE must be a positive integer up to 30000, got '40000'"),
    ('DATAMACHINE_RETRY_AFTER', '0', "DATAMACHINE_RETRY_AFTER must be a positive integer, got '0'"),
])
def test_bad_setting_is_one_line(tmp_path, variable, value, message):
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': f'sqlite:///{tmp_path / "cli.db"}',
           'DATAMACHINE_SECRET_KEY': SECRET, variable: value}
    script = os.path.join(os.path.dirname(sys.executable), 'datamachine-jobs')
    done = subprocess.run([script, 'db', 'upgrade'], env=env, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (1, f'Error: {message}\n')


def test_jobs_list_show_and_clear(cli, client, admin):
    failed = insert_job('failed - timeout', flow_id=42, error_message='Timed out')
    done = insert_job('completed', flow_id=42)
    insert_items(failed, 2)
    insert_items(done, 1)

    table = cli('jobs', 'list', '--status', 'failed', '--flow-id', '42').splitlines()
    assert table[0].split('\t') == ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at',
                                    'completed_at', 'error_message']
    assert table[1] == (f'{failed}\t42\t1\tfailed - timeout\t2026-01-01 00:00:00\t'
                        '2026-01-01 00:01:00\tTimed out')
    # --json prints the body of GET /jobs; --format ndjson a job per line.
    body = client.get(f'{API}/jobs?order=asc&per_page=1', headers=admin).get_json()
    assert json.loads(cli('jobs', 'list', '--json', '--order', 'asc', '--per-page', '1')) == body
    lines = cli('jobs', 'list', '--format', 'ndjson', '--order', 'asc').splitlines()
    assert [json.loads(line) for line in lines] == (
        client.get(f'{API}/jobs?order=asc', headers=admin).get_json()['data'])
    assert cli('jobs', 'list').splitlines()[-1] == '2 of 2 jobs'
    assert cli('jobs', 'list', '--format', 'ids', '--all', '--order', 'asc') == (
        f'{failed}\n{done}\n')
    assert cli('jobs', 'list', '--format', 'count', '--status', 'completed') == '1\n'
    assert cli('jobs', 'list', '--format', 'csv', '--fields', 'job_id,status', '--all') == (
        f'job_id,status\n{done},completed\n{failed},failed - timeout\n')
    assert 'per_page must be an integer from 1 to 100.' in cli('jobs', 'list', '--per-page', '0',
                                                                exit_code=2)

    assert json.loads(cli('jobs', 'show', str(done)))['status'] == 'completed'
    assert 'Job not found.' in cli('jobs', 'show', '999999', exit_code=1)

    # The prompt says how many; without a yes nothing happens.
    assert 'Delete 1 jobs and 2 processed items? [y/N]' in cli(
        'jobs', 'clear', '--type', 'failed', '--cleanup-processed', exit_code=1)
    assert 'Would delete 2 jobs and 0 processed items: ' in cli(
        'jobs', 'clear', '--type', 'all', '--older-than', '1d', '--flow-id', '42', '--dry-run')
    assert count_rows(Job) == 2
    assert 'Deleted 1 jobs and 2 processed items.' in cli('jobs', 'clear', '--type', 'failed',
                                                          '--cleanup-processed', '--yes')
    assert count_rows(Job) == 1 and count_rows(ProcessedItem) == 1


def test_processed_items_clear(cli):
    insert_items(insert_job(flow_id=42), 2, flow_id=42)
    insert_items(insert_job(flow_id=43), 3, flow_id=43)
    assert 'Deleted 2 deduplication tracking records.' in cli(
        'processed-items', 'clear', '--clear-type', 'flow', '--target-id', '42', '--yes')
    assert count_rows(ProcessedItem) == 3


def test_every_job_capability_has_its_command(cli, client, admin):
    failed = insert_job('failed', flow_id=7, error_message='boom')
    stuck = insert_job('processing', flow_id=7, started_at='2020-01-01 00:00:00')

    summary = json.loads(cli('jobs', 'summary', '--flow-id', '7'))
    assert summary == client.get(f'{API}/jobs/summary?flow_id=7', headers=admin).get_json()['data']
    stuck_summary = json.loads(cli('jobs', 'summary', '--stuck', '--group-by', 'flow_id'))
    assert stuck_summary['total'] == 1 and stuck_summary['groups'][0]['flow_id'] == 7
    retry = json.loads(cli('jobs', 'retry', str(failed)))
    assert retry['retry_of'] == failed and retry['status'] == 'pending'
    assert 'Only a finished job is retried' in cli('jobs', 'retry', str(stuck), exit_code=1)
    assert cli('jobs', 'list', '--format', 'ids', '--retry-of', str(failed)) == (
        f"{retry['job_id']}\n")
    assert cli('jobs', 'list', '--format', 'ids', '--stuck') == f'{stuck}\n'

    preview = cli('jobs', 'recover-stuck', '--action', 'fail', '--dry-run')
    assert f'{stuck}\tprocessing\tsince 2020-01-01 00:00:00' in preview
    assert '1 stuck jobs would be failed.' in preview
    assert '1 stuck jobs were failed.' in cli('jobs', 'recover-stuck', '--action', 'fail')
    assert json.loads(cli('jobs', 'show', str(stuck)))['status'] == 'failed - stuck'
    assert 'timeout must be a duration' in cli('jobs', 'recover-stuck', '--action', 'fail',
                                                '--timeout', '2x', exit_code=2)

    health = cli('flows', 'health', '--json')
    assert json.loads(health)['data'][0]['last_error'].startswith('Stuck: ')
    assert cli('flows', 'health', '--problems', '--min-consecutive-failures', '5').startswith(
        'flow_id\t')

    cli('jobs', 'delete', str(failed), exit_code=1)  # not confirmed
    assert f'Deleted job {failed} and 0 processed items.' in cli('jobs', 'delete', str(failed),
                                                                '--yes')
    assert 'Job not found.' in cli('jobs', 'delete', str(failed), '--yes', exit_code=1)
    actions = [r['action'] for r in client.get(f'{API}/audit', headers=admin).get_json()['data']]
    assert actions[:3] == ['jobs.delete', 'jobs.delete', 'jobs.recover_stuck']


def test_users_list_and_version(cli, app):
    cli('users', 'create', 'ops', '--role', 'editor', '--email', 'ops@example.com')
    listing = cli('users', 'list').splitlines()
    assert listing[0] == 'username\temail\trole\tcreated_at'
    assert listing[1].startswith('ops\tops@example.com\teditor\t')


def test_the_entry_point_in_process(monkeypatch, capsys):
    from datamachine_jobs import cli
    monkeypatch.setattr(sys, 'argv', ['datamachine-jobs', '--version'])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 0
    assert capsys.readouterr().out == f"datamachine-jobs, version {version('datamachine-jobs')}\n"
    monkeypatch.setenv('DATAMACHINE_CLEAR_BATCH_SIZE', 'abc')
    monkeypatch.setattr(sys, 'argv', ['datamachine-jobs', 'users', 'list'])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 1
    assert 'DATAMACHINE_CLEAR_BATCH_SIZE must be a positive integer' in capsys.readouterr().err


def test_no_command_but_db_upgrade_creates_a_database(tmp_path):
    """Without DATAMACHINE_DATABASE_URL the default file is named, with how to point the command
    at the service's database; nothing is created on the way."""
    default = instance_database_url(str(tmp_path / 'instance'))
    app = make_app(default)
    app.instance_path = str(tmp_path / 'instance')
    try:
        refused = app.test_cli_runner().invoke(args=['jobs', 'list'])
        assert (refused.exit_code, refused.output) == (1, (
            f'Error: no database at {tmp_path}/instance/datamachine.db: DATAMACHINE_DATABASE_URL '
            "is not set, so this is the default SQLite file. Point DATAMACHINE_DATABASE_URL at "
            "the service's database (for example: set -a; . /etc/datamachine-jobs.env; set +a), "
            'or create this one with `datamachine-jobs db upgrade`.\n'))
        assert os.listdir(tmp_path / 'instance') == []
        assert app.test_cli_runner().invoke(args=['db', 'upgrade']).output == ALL_APPLIED
        assert 'datamachine.db' in os.listdir(tmp_path / 'instance')
    finally:
        close_pool(app)


def test_a_database_that_fails_is_named_with_its_password_masked(backend, tmp_path):
    if backend == 'sqlite':
        url = f'sqlite:///{tmp_path}/jobs.db'
        with open(tmp_path / 'jobs.db', 'w') as fh:
            fh.write('not a database, but long enough to be read as one' * 100)
        expected = re.escape(f'Error: database error on SQLite file {tmp_path}/jobs.db: file is '
                             'not a database\n')
    else:
        url = MYSQL_URL.replace('root@', 'root:s3cret@')
        expected = re.escape('Error: database error on ' + url.replace(':s3cret@', ':***@')
                             + ': (1045, "Access denied for user ') + r"'root'@'[^']+'" + (
            re.escape(' (using password: YES)")\n'))
    app = make_app(url)
    try:
        failed = app.test_cli_runner().invoke(args=['jobs', 'list'])
        assert failed.exit_code == 1 and re.fullmatch(expected, failed.output), failed.output
        assert 's3cret' not in failed.output
    finally:
        close_pool(app)


@pytest.mark.slow
def test_permission_problems_are_one_line(tmp_path):
    """Run as a user who may not read the database file: as root, without the capabilities that
    override file permissions, on a file that is nobody's; otherwise on a file made unreadable."""
    url = f'sqlite:///{tmp_path}/jobs.db'
    env = {**os.environ, 'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': SECRET}
    script = os.path.join(os.path.dirname(sys.executable), 'datamachine-jobs')
    assert subprocess.run([script, 'db', 'upgrade'], env=env, capture_output=True,
                          timeout=60).returncode == 0
    os.chmod(tmp_path / 'jobs.db', 0o600)
    command = [script, 'jobs', 'list']
    if os.geteuid() == 0:
        os.chown(tmp_path / 'jobs.db', 65534, 65534)
        command = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', *command]
    else:
        os.chmod(tmp_path / 'jobs.db', 0)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, '', (
        f'Error: permission denied on SQLite file {tmp_path}/jobs.db (or its folder): run the '
        'command as the user the service runs as, with its settings.\n'))


def test_help_lists_only_the_projects_commands_and_options(monkeypatch, capsys, tmp_path):
    from datamachine_jobs import cli
    # Listing the commands builds the app: with settings, so that it makes nothing of its own.
    monkeypatch.setenv('DATAMACHINE_DATABASE_URL', f'sqlite:///{tmp_path}/jobs.db')
    monkeypatch.setenv('DATAMACHINE_SECRET_KEY', SECRET)
    monkeypatch.setattr(sys, 'argv', ['datamachine-jobs', '--help'])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 0
    options, commands = capsys.readouterr().out.split('Options:\n')[1].split('Commands:\n')
    assert [line.split()[0] for line in options.splitlines() if line.strip()] == [
        '--version', '--help']
    assert [line.split()[0] for line in commands.splitlines()] == [
        'app-passwords', 'audit', 'db', 'demo', 'flows', 'jobs', 'operations', 'processed-items',
        'retention', 'seed', 'users']
