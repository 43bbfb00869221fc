"""A clear that outlives its worker: real gunicorn (gunicorn.conf.py, two gthread workers) runs a
clear of 200,000 jobs asked with `Prefer: respond-async`; the worker carrying it out is killed
with SIGKILL mid-way, and once its lease has expired another worker of the same gunicorn takes
the operation over and finishes it: every job and record it was to delete is gone, nothing else
is, the job counts and rollups are exact, and the operation and its one audit record read
completed."""
import json
import os
import signal

import pytest
import requests
from peewee import fn
from support import (
    API,
    basic,
    create_account,
    fail_every_job,
    insert_items,
    insert_job,
    production_gunicorn,
    rollups_and_jobs,
    wait_for,
)

from datamachine_jobs import db
from datamachine_jobs.migrating import rollups
from datamachine_jobs.models import AsyncOperation, AuditRecord, Job, JobCount, ProcessedItem
from datamachine_jobs.services import seed

pytestmark = pytest.mark.slow

JOBS = 200_000
BATCH = 2000  # 100 batches: a kill after the fifth lands well before the end
LEASE = 2  # seconds (DATAMACHINE_OPERATION_LEASE); the watch looks every LEASE / 3


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """gunicorn with the production config and two workers; (base URL, master process)."""
    with production_gunicorn(database_url, tmp_path, 2,
                             DATAMACHINE_CLEAR_BATCH_SIZE=str(BATCH),
                             DATAMACHINE_OPERATION_LEASE=str(LEASE)) as served:
        yield served


def workers_of(master):
    """Process ids of the live children of a gunicorn master."""
    children = set()
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{entry}/stat') as fh:
                state, parent = fh.read().rsplit(')', 1)[1].split()[:2]
        except OSError:
            continue
        if int(parent) == master.pid and state != 'Z':
            children.add(int(entry))
    return children


def operation_row():
    with db.database.connection_context():
        return AsyncOperation.get()


def counts_by_group():
    """{(pipeline, flow, status): jobs} as the kept counts say, and as the jobs are."""
    with db.database.connection_context():
        kept = {(p, f, s): n for p, f, s, n in JobCount.select(
            JobCount.pipeline_id, JobCount.flow_id, JobCount.status, JobCount.n).tuples() if n}
        counted = dict(((p, f, s), n) for p, f, s, n in Job.select(
            Job.pipeline_id, Job.flow_id, Job.status, fn.COUNT(Job.job_id)).group_by(
            Job.pipeline_id, Job.flow_id, Job.status).tuples())
    return kept, counted


def test_a_killed_workers_operation_is_finished_by_another_worker(app, gunicorn):
    base, master, http = gunicorn
    with app.app_context(), db.database.connection_context():
        _, items = seed.seed(JOBS, rng_seed=11)
    fail_every_job()
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    body = {'type': 'failed', 'cleanup_processed': True}
    response = http.delete(f'{base}{API}/jobs', headers={**auth, 'Prefer': 'respond-async'},
                           json=body, timeout=60)
    assert response.status_code == 202, response.text
    location = base + response.headers['Location']

    wait_for(lambda: json.loads(operation_row().rows_done)['jobs'] >= 5 * BATCH,
             'the operation to delete its first batches', seconds=60)
    later = [insert_job('failed', pipeline_id=9, flow_id=99) for _ in range(3)]
    later_items = insert_items(later[0], 4, flow_id=99, pipeline_id=9)
    first = operation_row()
    killed = int(first.owner.rsplit(':', 1)[1])
    assert killed in workers_of(master)
    os.kill(killed, signal.SIGKILL)
    done_at_kill = json.loads(first.rows_done)['jobs']
    assert done_at_kill < JOBS, 'the clear ended before its worker could be killed'

    def ended():
        try:
            answer = http.get(location, headers=auth, timeout=30)
        except requests.ConnectionError:  # a kept-alive connection to the killed worker
            return False
        assert answer.status_code == 200, answer.text
        return answer.json()['data']['state'] not in ('queued', 'running')
    wait_for(ended, 'another worker to finish the operation', seconds=90)
    operation = http.get(location, headers=auth, timeout=30).json()['data']

    rows = {'jobs': JOBS, 'processed_items': items}
    assert operation['state'] == 'completed', operation
    assert operation['rows_matched'] == operation['rows_done'] == rows
    assert operation['result'] == {'success': True, 'message': 'Jobs cleared successfully.',
                                   'jobs_deleted': JOBS, 'processed_items_cleaned': items}
    with db.database.connection_context():
        assert [job for (job,) in Job.select(Job.job_id).order_by(Job.job_id).tuples()] == later
        assert sorted(i for (i,) in ProcessedItem.select(ProcessedItem.id).tuples()) == \
            later_items
        [record] = AuditRecord.select()
        finisher = AsyncOperation.get().owner
    assert (record.id, record.outcome, json.loads(record.rows_deleted)) == (
        operation['audit_id'], 'completed', rows)
    assert json.loads(record.parameters) == body
    assert record.process == finisher != first.owner  # resumed elsewhere, in the same record
    assert int(finisher.rsplit(':', 1)[1]) in workers_of(master)
    kept, counted = counts_by_group()
    assert kept == counted == {(9, 99, 'failed'): 3}
    kept, computed = rollups_and_jobs()
    assert kept == computed
    assert sum(n for key, (n, _) in kept.items() if key[0] == rollups.ALL_TIME) == 3
    listed = http.get(f'{base}{API}/jobs', headers=auth, timeout=30).json()
    assert listed['total'] == 3
