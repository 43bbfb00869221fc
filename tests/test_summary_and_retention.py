"""GET /jobs/summary against a direct computation, and DELETE /jobs by age, scope and dry run."""
import math
from datetime import UTC, datetime, timedelta

import pytest
from support import API, count_rows, insert_items, insert_job
from test_summary_properties import assert_close

from datamachine_jobs import db
from datamachine_jobs.models import Job, ProcessedItem
from datamachine_jobs.services import seed

BASES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped', 'failed',
         'cancelled']
SUCCESS = {'completed', 'completed_no_items', 'agent_skipped'}


@pytest.fixture
def seeded(app):
    """Realistic jobs, plus rows a direct writer left with odd letter case and long durations."""
    with app.app_context(), db.database.connection_context():
        seed.seed(1500, rng_seed=9)
        for status, started, completed in [
                ('FAILED - Upper case', '2026-01-01 00:00:00', '2026-01-01 02:00:00'),
                ('Agent_Skipped', '2026-01-01 00:00:00', '2026-01-01 00:00:00')]:
            db.database.execute_sql(
                'INSERT INTO datamachine_jobs (pipeline_id, flow_id, status, started_at, '
                f'completed_at) VALUES (5, 42, {", ".join([db.database.param] * 3)})',
                (status, started, completed))


def reference(where=lambda row: True, group_by=None):
    """The summary computed in Python over every row read with plain SQL."""
    with db.database.connection_context():
        rows = db.database.execute_sql(
            'SELECT status, started_at, completed_at, flow_id, pipeline_id '
            'FROM datamachine_jobs').fetchall()
    parsed = []
    for status, started, completed, flow_id, pipeline_id in rows:
        started, completed = (datetime.fromisoformat(str(t)) if t else None
                              for t in (started, completed))
        row = {'base': status.split(' - ')[0].lower(), 'status': status, 'started': started,
               'completed': completed, 'flow_id': flow_id, 'pipeline_id': pipeline_id}
        if where(row):
            parsed.append(row)

    def stats(group):
        by_status = {base: sum(r['base'] == base for r in group) for base in BASES}
        finished = sum(n for base, n in by_status.items() if base not in ('pending',
                                                                          'processing',
                                                                          'cancelled'))
        durations = sorted(int((r['completed'] - r['started']).total_seconds())
                           for r in group if r['started'] and r['completed'])
        pick = (lambda p: durations[math.ceil(p / 100 * len(durations)) - 1]) if durations \
            else (lambda p: None)
        return {
            'total': len(group), 'by_status': by_status,
            'success_rate': round(sum(by_status[b] for b in SUCCESS) / finished, 4)
            if finished else None,
            'duration_seconds': {
                'avg': round(sum(durations) / len(durations), 3) if durations else None,
                'p50': pick(50), 'p95': pick(95),
                'max': durations[-1] if durations else None}}

    summary = stats(parsed)
    if group_by:
        keys = sorted({r[group_by] for r in parsed})
        summary['groups'] = [{group_by: key, **stats([r for r in parsed if r[group_by] == key])}
                             for key in keys]
    return summary


def summary(client, headers, query=''):
    response = client.get(f'{API}/jobs/summary?{query}', headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()['success'] is True
    return response.get_json()['data']


@pytest.mark.usefixtures('seeded')
@pytest.mark.parametrize('query, where, group_by', [
    ('', lambda r: True, None),
    ('group_by=pipeline_id', lambda r: True, 'pipeline_id'),
    ('pipeline_id=5&group_by=flow_id', lambda r: r['pipeline_id'] == 5, 'flow_id'),
    ('status=failed,agent_skipped', lambda r: r['base'] in ('failed', 'agent_skipped'), None),
    ('status=failed - timeout', lambda r: r['status'].lower() == 'failed - timeout', None),
    ('flow_id=42&completed_after=2026-06-01 00:00:00',
     lambda r: r['flow_id'] == 42 and r['completed'] and r['completed'] >= datetime(2026, 6, 1),
     None),
])
def test_summary_matches_direct_computation(client, admin, query, where, group_by):
    assert_close(summary(client, admin, query), reference(where, group_by))


def test_summary_of_nothing(client, admin):
    assert summary(client, admin) == {
        'total': 0, 'by_status': dict.fromkeys(BASES, 0), 'success_rate': None,
        'duration_seconds': {'avg': None, 'p50': None, 'p95': None, 'max': None}}


def test_summary_invalid_group_by(client, admin):
    response = client.get(f'{API}/jobs/summary?group_by=status', headers=admin)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == {
        'group_by': 'group_by must be flow_id or pipeline_id.'}


def ago(**delta):
    return (datetime.now(UTC) - timedelta(**delta)).strftime('%Y-%m-%d %H:%M:%S')


@pytest.fixture
def aged(app):
    """Jobs finished 60, 20 and 1 days ago in two flows, and old unfinished ones; two items each."""
    made = {}
    for flow_id in (42, 43):
        for days in (60, 20, 1):
            for status in ('completed', 'failed - timeout'):
                made[(flow_id, days, status)] = insert_job(
                    status, flow_id=flow_id, started_at=ago(days=days, minutes=5),
                    completed_at=ago(days=days))
        made[(flow_id, 'pending')] = insert_job('pending', flow_id=flow_id)
        made[(flow_id, 'processing')] = insert_job('processing', flow_id=flow_id,
                                                   started_at=ago(days=90))
    for job_id in made.values():
        insert_items(job_id, 2)
    return made


def clear(client, headers, **body):
    response = client.delete(f'{API}/jobs', headers=headers, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.usefixtures('aged')
@pytest.mark.parametrize('body', [
    {'type': 'all', 'older_than': '30d'},
    {'type': 'all', 'older_than': '30d', 'cleanup_processed': True},
    {'type': 'failed', 'older_than': '480h', 'cleanup_processed': True},
    {'type': 'all', 'older_than': f'{60 * 24 * 10}m', 'flow_id': 42},
    {'type': 'all', 'flow_id': 43, 'cleanup_processed': True},
    {'type': 'failed', 'pipeline_id': 1},
    {'type': 'all', 'older_than': ago(days=2), 'cleanup_processed': 'true'},
    {'type': 'all', 'cleanup_processed': True},
])
def test_dry_run_counts_equal_the_real_run(client, admin, body):
    jobs_before, items_before = count_rows(Job), count_rows(ProcessedItem)
    preview = clear(client, admin, dry_run=True, **body)
    assert (count_rows(Job), count_rows(ProcessedItem)) == (jobs_before, items_before)
    assert list(preview) == ['success', 'dry_run', 'jobs_matched', 'processed_items_matched',
                             'by_status']
    assert preview['dry_run'] is True and list(preview['by_status']) == BASES
    assert sum(preview['by_status'].values()) == preview['jobs_matched'] > 0

    done = clear(client, admin, **body)
    assert done['jobs_deleted'] == preview['jobs_matched']
    assert done['processed_items_cleaned'] == preview['processed_items_matched']
    assert count_rows(Job) == jobs_before - done['jobs_deleted']
    assert count_rows(ProcessedItem) == items_before - done['processed_items_cleaned']


@pytest.mark.parametrize('older_than, days_gone', [('30d', {60}), ('10d', {60, 20}),
                                                    ('90d', set()), ('1m', {60, 20, 1})])
def test_age_limited_clear_takes_only_old_finished_jobs(client, admin, aged, older_than,
                                                       days_gone):
    clear(client, admin, type='all', older_than=older_than)
    with db.database.connection_context():
        left = {job_id for (job_id,) in Job.select(Job.job_id).tuples()}
    for key, job_id in aged.items():
        gone = len(key) == 3 and key[1] in days_gone
        assert (job_id not in left) == gone, key  # pending and processing always stay


def test_scoped_clear_leaves_other_flows(client, admin, aged):
    result = clear(client, admin, type='failed', flow_id=42, cleanup_processed=True)
    assert (result['jobs_deleted'], result['processed_items_cleaned']) == (3, 6)
    with db.database.connection_context():
        failed_left = {(f, s) for f, s in Job.select(Job.flow_id, Job.status)
                       .where(Job.base_status == 'failed').tuples()}
    assert failed_left == {(43, 'failed - timeout')}


@pytest.mark.parametrize('body, params', [
    ({'older_than': 'old'}, {'older_than': (
        "older_than must be an age such as 30d, 12h or 90m, or a time ('YYYY-MM-DD HH:MM:SS' "
        "UTC, or ISO 8601 with an offset).")}),
    ({'older_than': '30y'}, None), ({'older_than': '-1d'}, None), ({'older_than': 30}, None),
    ({'dry_run': 'maybe'}, {'dry_run': 'dry_run must be a boolean: true, false, 1 or 0.'}),
    ({'flow_id': 0}, {'flow_id': f'flow_id must be an integer from 1 to {2**63 - 1}.'}),
])
def test_invalid_clear_parameters(client, admin, aged, body, params):
    jobs_before = count_rows(Job)
    response = client.delete(f'{API}/jobs', headers=admin, json={'type': 'all', **body})
    assert response.status_code == 400
    got = response.get_json()['data']['params']
    assert got == params if params else list(got) == list(body)
    assert count_rows(Job) == jobs_before
