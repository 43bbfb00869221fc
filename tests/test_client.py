"""JobsClient (the clients/python distribution) against the live app over real HTTP (a
threaded werkzeug server): every route, cursor iteration under writes, retries that never
repeat a job, and the README's examples."""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from datamachine_jobs_client import JobsAPIError, JobsClient
from support import (
    CLIENT,
    TcpRelay,
    close_pool,
    create_account,
    insert_items,
    insert_job,
    make_app,
    outage_switch,
    pipe,
)
from werkzeug.serving import make_server

from datamachine_jobs import db
from datamachine_jobs.models import Job


@pytest.fixture
def api(app, live_url):
    with JobsClient(live_url, 'runner', create_account(app, 'runner', 'administrator')) as client:
        yield client


def test_runner_loop(api):
    job = api.create_job(pipeline_id=5, flow_id=42)
    assert job['status'] == 'pending'
    assert api.claim_job(job['job_id'])['status'] == 'processing'
    step = 'fetch-step_42'
    fresh = [i for i in ('https://a', 'https://b') if not api.is_processed(step, 'rss', i)]
    assert fresh == ['https://a', 'https://b']
    batch = api.record_processed_batch(job['job_id'], [
        {'flow_step_id': step, 'source_type': 'rss', 'item_identifier': i} for i in fresh])
    assert (batch['created'], batch['skipped']) == (2, 0)
    done = api.update_job(job['job_id'], 'completed')
    assert done['completed_at'] is not None
    assert api.is_processed(step, 'rss', 'https://a')
    assert api.get_job(job['job_id']) == done


def test_errors_carry_the_envelope(api, app, live_url):
    job = api.create_job(pipeline_id=1, flow_id=1)
    api.claim_job(job['job_id'])
    with pytest.raises(JobsAPIError) as raised:
        api.claim_job(job['job_id'])
    assert (raised.value.status, raised.value.code) == (409, 'invalid_transition')
    assert raised.value.data == {'status': 409, 'current_status': 'processing'}

    record = api.record_processed(job['job_id'], 's_1', 'rss', 'x')
    with pytest.raises(JobsAPIError) as raised:
        api.record_processed(job['job_id'], 's_1', 'rss', 'x')
    assert raised.value.code == 'already_processed' and raised.value.data['existing'] == record

    with pytest.raises(JobsAPIError) as raised:
        api.get_job(999999)
    assert (raised.value.status, raised.value.code, raised.value.message) == (
        404, 'job_not_found', 'Job not found.')

    with JobsClient(live_url + '/wp-json/datamachine/v1/', 'runner', 'x' * 24) as stranger:
        with pytest.raises(JobsAPIError) as raised:
            stranger.list_jobs()
    assert (raised.value.status, raised.value.code) == (401, 'invalid_credentials')


def test_listing_paging_and_clearing(api):
    ids = [insert_job('failed' if n % 2 else 'completed', flow_id=42) for n in range(7)]
    page = api.list_jobs(status='failed', per_page=2)
    assert page['total'] == 3 and len(page['data']) == 2
    assert [j['job_id'] for j in api.iter_jobs(per_page=2, order='ASC')] == ids
    for job_id in ids[:2]:
        api.record_processed(job_id, 'step_42', 'rss', f'item-{job_id}')
    assert api.list_processed_items(flow_id=42)['total'] == 2
    cleared = api.clear_jobs('failed', cleanup_processed=True)
    assert (cleared['jobs_deleted'], cleared['processed_items_cleaned']) == (3, 1)
    remaining = api.list_processed_items()['items']
    assert [r['job_id'] for r in remaining] == [ids[0]]
    assert api.delete_processed_item(remaining[0]['id'])['success'] is True
    api.record_processed(ids[0], 'step_42', 'rss', 'again')
    assert api.clear_processed_items('flow', 42)['items_deleted'] == 1
    assert api.find_processed('step_42', 'rss', 'again') is None


def test_running_claims_heartbeats_and_completes(api):
    job_id = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with api.running(job_id, runner='w-1', interval=0.05) as held:
        assert held.job['status'] == 'processing'
        first = api.get_job(job_id, context='edit')['heartbeat_at']
        held._beats.join(0.3)  # some beats go by
    job = api.get_job(job_id, context='edit')
    assert (job['status'], job['runner'], job['claimed_by']) == ('completed', 'w-1', 'tests')
    assert job['heartbeat_at'] >= first and held.lease_lost is None


def test_running_fails_the_job_with_the_exception(api):
    job_id = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with pytest.raises(ValueError), api.running(job_id, interval=60):
        raise ValueError('feed answered 500')
    job = api.get_job(job_id)
    assert (job['status'], job['error_message']) == ('failed', 'ValueError: feed answered 500')
    other = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    with api.running(other) as held:
        held.finish('completed_no_items')
    assert api.get_job(other)['status'] == 'completed_no_items'


def test_the_new_routes_have_their_methods(api):
    first = api.create_job(pipeline_id=5, flow_id=42)['job_id']
    api.update_job(first, 'failed', 'boom')
    retry = api.retry_job(first)
    assert retry['retry_of'] == first and retry['status'] == 'pending'
    with pytest.raises(JobsAPIError) as raised:
        api.retry_job(retry['job_id'])
    assert raised.value.code == 'job_not_final'
    assert api.summarize_jobs()['total'] == 2
    assert api.recover_stuck('fail', dry_run=True)['jobs_matched'] == 0
    assert api.flow_health()['data'][0]['last_error'] == 'boom'
    assert api.set_retention(jobs={'failed': '30d'}) == {
        'jobs': {'failed': 2592000}, 'keep_per_flow': 0, 'processed_items': None}
    assert api.preview_retention()['jobs_matched'] == 0
    assert api.run_retention()['jobs_deleted'] == 0
    assert api.get_retention()['last_run']['action'] == 'retention.run'
    lines = list(api.export_jobs(format='csv'))
    assert lines[0].startswith('job_id,') and len(lines) == 3
    preview = api.clear_jobs('failed', dry_run=True, flow_id=42, older_than='1h')
    assert preview['dry_run'] is True and preview['jobs_matched'] == 0
    assert api.delete_job(first)['jobs_deleted'] == 1
    assert api.list_audit(action='jobs.delete')['total'] == 1




def test_the_readme_examples_run(app, live_url, capsys):
    """The Python examples of clients/python/README.md, run in order as written against the
    service (only its address and passwords changed)."""
    with open(os.path.join(CLIENT, 'README.md')) as fh:
        examples = re.findall(r'```python\n(.*?)```', fh.read(), re.S)
    assert len(examples) == 3
    passwords = {name: create_account(app, name, 'administrator') for name in ('runner', 'ops')}
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime('%Y-%m-%d %H:%M:%S')
    for job_id in (insert_job('failed', flow_id=42, error_message='feed down',
                              completed_at=an_hour_ago),
                   insert_job('failed', flow_id=42, completed_at='2020-01-01 00:00:00')):
        insert_items(job_id, 1, flow_id=42)
    namespace = {'fetch_everything': lambda: []}  # one session, as a reader would run them
    for example in examples:
        example = example.replace('https://example.com', live_url)
        for name, password in passwords.items():
            example = example.replace(f'"{name}", "abcd efgh ijkl mnop qrst uvwx"',
                                      f'"{name}", "{password}"')
        exec(compile(example, 'README.md', 'exec'), namespace)
    printed = capsys.readouterr().out
    assert 'feed down' in printed and 'would delete 1 jobs:' in printed
    assert 'deleted 1 jobs and 1 processed items' in printed
    assert "400 rest_invalid_param {'per_page':" in printed
    with db.database.connection_context():
        assert Job.select().count() == 0  # the last example cleared every job


@pytest.mark.parametrize('order', ['DESC', 'ASC'])
def test_iteration_never_repeats_or_skips_a_job_while_jobs_are_added(api, order):
    """3 jobs added for every 50 read: each job there from the start comes exactly once."""
    first = [insert_job(flow_id=7) for _ in range(400)]
    seen = []
    for job in api.iter_jobs(per_page=50, order=order, flow_id=7):
        seen.append(job['job_id'])
        if len(seen) % 50 == 0:
            for _ in range(3):
                insert_job(flow_id=7)
    assert len(seen) == len(set(seen))
    assert set(first) <= set(seen)
    assert seen == sorted(seen, reverse=order == 'DESC')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class AnswerLosingRelay(TcpRelay):
    """A loopback relay to the service that lets the first request through and then hangs up
    before its answer reaches the client, as a network may; later connections pass."""

    lost = 0

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=pipe, args=(client, server), daemon=True).start()
            if self.lost:
                threading.Thread(target=pipe, args=(server, client), daemon=True).start()
                continue
            self.lost = 1
            with contextlib.suppress(OSError):
                server.recv(65536)  # the service answered (its work is done) ...
            for end in (client, server):  # ... and the answer is lost on the way
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


def test_a_create_whose_answer_was_lost_is_recorded_once(app, live_url):
    relay = AnswerLosingRelay(int(live_url.rsplit(':', 1)[1])).start()
    password = create_account(app, 'runner', 'administrator')
    try:
        with JobsClient(f'http://127.0.0.1:{relay.port}', 'runner', password,
                        backoff=0.01) as api:
            job = api.create_job(pipeline_id=9, flow_id=99)
    finally:
        relay.stop()
    assert relay.lost == 1
    with db.database.connection_context():
        assert [j.job_id for j in Job.select().where(Job.flow_id == 99)] == [job['job_id']]


def test_a_refused_connection_is_retried_for_reads_only(app):
    """Nothing listens yet: a read waits through its retries until the service is up; a delete
    (which the service does not de-duplicate) fails at once."""
    port = free_port()
    password = create_account(app, 'ops', 'administrator')
    server = make_server('127.0.0.1', port, app, threaded=True)
    later = threading.Timer(0.5, server.serve_forever)
    with JobsClient(f'http://127.0.0.1:{port}', 'ops', password, retries=6,
                    backoff=0.2) as api:
        with pytest.raises(requests.ConnectionError):
            JobsClient(f'http://127.0.0.1:{free_port()}', 'ops', password,
                       backoff=0.01).delete_job(1)
        later.start()
        try:
            assert api.list_jobs()['total'] == 0
        finally:
            server.shutdown()
            later.join()


def test_a_503_is_waited_out_by_reads(backend, tmp_path):
    with outage_switch(backend, tmp_path) as (url, cut, restore):
        app = make_app(url, retry_after=1)
        with app.app_context(), db.database.connection_context():
            db.migration_runner().up()
        password = create_account(app, 'ops', 'administrator')
        server = make_server('127.0.0.1', 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f'http://127.0.0.1:{server.server_port}'
        try:
            with JobsClient(base, 'ops', password, retries=5) as api:
                api.list_jobs()
                cut()
                with pytest.raises(JobsAPIError) as refused:
                    api.delete_job(1)  # not repeatable: the 503 is the caller's to handle
                assert refused.value.status == 503
                threading.Timer(1.5, restore).start()
                started = time.monotonic()
                assert api.list_jobs()['total'] == 0
                assert time.monotonic() - started >= 1  # after Retry-After, not at once
        finally:
            server.shutdown()
            close_pool(app)


def test_errors_name_the_bad_parameters(api):
    with pytest.raises(JobsAPIError) as raised:
        api.list_jobs(per_page=0, orderby='x')
    assert raised.value.status == 400 and raised.value.code == 'rest_invalid_param'
    assert set(raised.value.params) == {'per_page', 'orderby'}


@pytest.mark.slow
def test_the_client_installs_alone_with_requests(tmp_path):
    """pip install ./clients/python in a new virtualenv brings requests and nothing of the
    server (Flask, peewee, gunicorn)."""
    source = shutil.copytree(CLIENT, tmp_path / 'client', ignore=shutil.ignore_patterns(
        'build', '*.egg-info', '__pycache__'))  # pip builds in the source folder: not ours
    subprocess.run([sys.executable, '-m', 'venv', str(tmp_path / 'venv')], check=True,
                   timeout=120)
    python = str(tmp_path / 'venv' / 'bin' / 'python')
    installed = subprocess.run([python, '-m', 'pip', 'install', '--quiet', str(source)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    listed = subprocess.run([python, '-m', 'pip', 'list', '--format', 'freeze'],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    names = {line.split('==')[0].lower() for line in listed.splitlines()}
    assert {'datamachine-jobs-client', 'requests'} <= names
    assert not names & {'flask', 'peewee', 'gunicorn', 'marshmallow', 'datamachine-jobs'}
    shown = subprocess.run([python, '-c', 'import datamachine_jobs_client as c; '
                            'print(c.JobsClient.__init__.__code__.co_varnames[1:4])'],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert shown.stdout == "('base_url', 'username', 'app_password')\n", shown.stderr
