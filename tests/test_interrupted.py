"""A clear whose process dies: its audit record reads `interrupted` with the rows deleted up to
then, and a repeat with the same Idempotency-Key resumes it with the bound the first request fixed,
in the same audit record. The first request runs in a real process that is killed with SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from support import API, count_rows, fail_every_job, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import AsyncOperation, AuditRecord, Job
from datamachine_jobs.services import seed

pytestmark = pytest.mark.slow

TESTS = os.path.dirname(os.path.abspath(__file__))
JOBS = 3000
# The clearing process: the real app, deleting two jobs per transaction so that it is still at
# work when it is killed.
CLEAR = """
import sys
sys.path.insert(0, sys.argv[1])
from support import make_app
app = make_app(sys.argv[2], clear_batch_size=2)
headers = {'Authorization': sys.argv[3]}
if sys.argv[4]:
    headers['Idempotency-Key'] = sys.argv[4]
app.test_client().delete('/wp-json/datamachine/v1/jobs', headers=headers,
                         json={'type': 'failed', 'cleanup_processed': True})
"""


def progress():
    """The rows the only audit record says were deleted, or None before its first batch."""
    with db.database.connection_context():
        record = AuditRecord.select(AuditRecord.rows_deleted).first()
    return record and record.rows_deleted and json.loads(record.rows_deleted)


def killed_mid_clear(database_url, admin, key=''):
    """Start a clear in another process and kill it once some batches are committed; return
    the rows it had deleted."""
    process = subprocess.Popen([sys.executable, '-c', CLEAR, TESTS, database_url,
                                admin['Authorization'], key])
    try:
        deadline = time.monotonic() + 60
        while not progress() and time.monotonic() < deadline:
            assert process.poll() is None, 'the clear ended before it could be interrupted'
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    done = progress()
    assert done and 0 < done['jobs'] < JOBS
    return done


@pytest.fixture
def many_jobs(app):
    with app.app_context(), db.database.connection_context():
        seed.seed(JOBS, rng_seed=3)
    fail_every_job()


def audit_records(client, admin):
    return client.get(f'{API}/audit', headers=admin).get_json()['data']


def test_a_clear_whose_process_died_reads_interrupted(database_url, client, admin, many_jobs):
    done = killed_mid_clear(database_url, admin)
    [record] = audit_records(client, admin)
    assert (record['outcome'], record['rows_deleted']) == ('interrupted', done)
    assert count_rows(Job) == JOBS - done['jobs']


def test_a_repeat_with_its_key_resumes_the_clear_within_its_bound(database_url, client, admin,
                                                                   many_jobs):
    killed_mid_clear(database_url, admin, key='nightly-1')
    later = insert_job('failed')  # after the first request began: the repeat must keep it
    response = client.delete(f'{API}/jobs', headers={**admin, 'Idempotency-Key': 'nightly-1'},
                             json={'type': 'failed', 'cleanup_processed': True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()['jobs_deleted'] == JOBS
    with db.database.connection_context():
        assert [job_id for (job_id,) in Job.select(Job.job_id).tuples()] == [later]
    [record] = audit_records(client, admin)
    assert record['outcome'] == 'completed'
    assert record['rows_deleted'] == {'jobs': JOBS, 'processed_items':
                                      response.get_json()['processed_items_cleaned']}
    assert record['parameters'] == {'type': 'failed', 'cleanup_processed': True}


def test_a_repeat_asking_to_be_answered_async_resumes_the_clear_at_once(database_url, client,
                                                                        admin, many_jobs):
    """A clear that was waited for is resumed as it began, whatever its repeat prefers."""
    killed_mid_clear(database_url, admin, key='nightly-2')
    response = client.delete(f'{API}/jobs', headers={**admin, 'Idempotency-Key': 'nightly-2',
                                                     'Prefer': 'respond-async'},
                             json={'type': 'failed', 'cleanup_processed': True})
    assert response.status_code == 200, response.get_json()
    assert 'Preference-Applied' not in response.headers
    assert response.get_json()['jobs_deleted'] == JOBS
    assert count_rows(AsyncOperation) == 0 and count_rows(Job) == 0
    [record] = audit_records(client, admin)
    assert record['outcome'] == 'completed'


def test_a_running_clear_reads_started(database_url, client, admin, many_jobs):
    process = subprocess.Popen([sys.executable, '-c', CLEAR, TESTS, database_url,
                                admin['Authorization'], ''])
    try:
        deadline = time.monotonic() + 60
        while not progress() and time.monotonic() < deadline:
            time.sleep(0.002)
        [record] = audit_records(client, admin)
        assert process.poll() is None  # still at work after the record was read
        assert record['outcome'] == 'started'
    finally:
        process.kill()
        process.wait(timeout=30)
