"""Property test: GET /jobs/summary, served from the rollups where they answer, equals a summary
computed in plain Python over the rows, under random filters, windows and groups, after jobs
were written every way there is: the API, direct SQL inserts, updates and deletes, the seed's
bulk writer and batched clears."""
import math
import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import API, change_settings, insert_job, matches

from datamachine_jobs import db
from datamachine_jobs.migrating import rollups
from datamachine_jobs.services import seed

BASES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped', 'failed',
         'cancelled']
SUCCESS = {'completed', 'completed_no_items', 'agent_skipped'}
OUTCOMES = set(BASES) - {'pending', 'processing', 'cancelled'}  # a success rate's denominator
STATUSES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
            'agent_skipped - duplicate content', 'failed', 'failed - timeout', 'FAILED - Upper',
            'cancelled', 'cancelled - superseded']
START = datetime(2026, 1, 1)
DURATIONS = [0, 1, 59, 99, 100, 101, 150, 3_599, 3_600, 86_401, 200_000, -5, -300]


def moment(rng):
    """A time in the first four days of 2026, often on an hour or a day boundary."""
    seconds = rng.randrange(4 * 86_400)
    kind = rng.random()
    if kind < 0.2:
        seconds -= seconds % 3_600
    elif kind < 0.3:
        seconds -= seconds % 86_400
    return START + timedelta(seconds=seconds)


def text(value):
    return value.strftime('%Y-%m-%d %H:%M:%S')


def random_job(rng):
    status = rng.choice(STATUSES)
    started = None if status == 'pending' or rng.random() < 0.05 else moment(rng)
    completed = None
    if status not in ('pending', 'processing') and started and rng.random() < 0.95:
        completed = started + timedelta(seconds=rng.choice(DURATIONS + [rng.randrange(5_000)]))
    return dict(status=status, pipeline_id=rng.randint(1, 3), flow_id=rng.randint(1, 6),
                started_at=started and text(started), completed_at=completed and text(completed))


def direct(sql, params=()):
    with db.database.connection_context():
        db.database.execute_sql(sql.replace('?', db.database.param), params)


@pytest.fixture
def rows(app, client, admin, monkeypatch):
    """Jobs written every way, then read back with plain SQL."""
    rng = random.Random(21)
    ids = [insert_job(**random_job(rng)) for _ in range(150)]
    for _ in range(15):  # the API: create, claim, finish
        job_id = client.post(f'{API}/jobs', headers=admin, json={
            'pipeline_id': rng.randint(1, 3), 'flow_id': rng.randint(1, 6)}).get_json()[
            'data']['job_id']
        client.patch(f'{API}/jobs/{job_id}', headers=admin, json={'status': 'processing'})
        client.patch(f'{API}/jobs/{job_id}', headers=admin, json={
            'status': rng.choice(['completed', 'failed - api'])})
    for job_id in rng.sample(ids, 40):  # direct SQL updates of every tracked column
        job = random_job(rng)
        direct('UPDATE datamachine_jobs SET status = ?, pipeline_id = ?, flow_id = ?, '
               'started_at = ?, completed_at = ? WHERE job_id = ?',
               (job['status'], job['pipeline_id'], job['flow_id'], job['started_at'],
                job['completed_at'], job_id))
    direct('UPDATE datamachine_jobs SET error_message = ? WHERE job_id = ?', ('x', ids[0]))
    direct('DELETE FROM datamachine_jobs WHERE job_id IN (?, ?, ?)', tuple(ids[1:4]))
    with db.database.connection_context():
        seed.seed(400, rng_seed=4, now=START + timedelta(days=365 + 2))
    change_settings(monkeypatch, app, clear_batch_size=13)
    client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed', 'flow_id': 2})
    client.delete(f'{API}/jobs', headers=admin, json={
        'type': 'all', 'older_than': '2026-01-02 12:00:00', 'pipeline_id': 3})
    with db.database.connection_context():
        found = db.database.execute_sql(
            'SELECT status, pipeline_id, flow_id, started_at, completed_at '
            'FROM datamachine_jobs').fetchall()
    return [{'status': status, 'base': status.split(' - ')[0].lower(), 'pipeline_id': p,
             'flow_id': f, 'started_at': started and str(started)[:19],
             'completed_at': completed and str(completed)[:19]}
            for status, p, f, started, completed in found]


def seconds(row):
    if not (row['started_at'] and row['completed_at']):
        return None
    return int((datetime.fromisoformat(row['completed_at'])
                - datetime.fromisoformat(row['started_at'])).total_seconds())


def stats(group):
    by_status = {base: sum(r['base'] == base for r in group) for base in BASES}
    finished = sum(by_status[b] for b in OUTCOMES)
    durations = sorted(d for d in map(seconds, group) if d is not None)
    rank = (lambda p: durations[math.ceil(p / 100 * len(durations)) - 1]) if durations else (
        lambda p: None)
    return {'total': len(group), 'by_status': by_status,
            'success_rate': round(sum(by_status[b] for b in SUCCESS) / finished, 4)
            if finished else None,
            'duration_seconds': {
                'avg': round(sum(durations) / len(durations), 3) if durations else None,
                'p50': rank(50), 'p95': rank(95), 'max': durations[-1] if durations else None}}


def reference(found, params):
    chosen = [r for r in found if matches(r, params)]
    summary = stats(chosen)
    group_by = params.get('group_by')
    if group_by:
        summary['groups'] = [{group_by: key, **stats([r for r in chosen if r[group_by] == key])}
                             for key in sorted({r[group_by] for r in chosen})]
    return summary


def assert_close(actual, expected):
    """Equal, but for p50 and p95: within 1% of the exact nearest rank, and exact below 100 s."""
    for stats_actual, stats_expected in [(actual, expected)] + list(zip(
            actual.get('groups', []), expected.get('groups', []), strict=True)):
        got, wanted = stats_actual['duration_seconds'], stats_expected['duration_seconds']
        for name in ('p50', 'p95'):
            if wanted[name] is None or abs(wanted[name]) < 100:
                assert got[name] == wanted[name], name
            else:
                assert abs(got[name] - wanted[name]) <= 0.01 * abs(wanted[name]), name
            got[name] = wanted[name]
    assert actual == expected


TIMES = st.builds(lambda day, hour, minute, second: text(
    START + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second)),
    st.integers(0, 5), st.integers(0, 23), st.sampled_from([0, 0, 30]),
    st.sampled_from([0, 0, 1, 59]))
query_params = st.fixed_dictionaries({}, optional={
    'status': st.lists(st.sampled_from(BASES + ['failed - timeout', 'FAILED - upper']),
                       min_size=1, max_size=3).map(','.join),
    'pipeline_id': st.integers(1, 3),
    'flow_id': st.integers(1, 6),
    'group_by': st.sampled_from(['flow_id', 'pipeline_id']),
    'started_after': TIMES, 'started_before': TIMES,
    'completed_after': TIMES, 'completed_before': TIMES,
})


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=query_params)
def test_summary_equals_reference(client, admin, rows, params):
    response = client.get(f'{API}/jobs/summary', headers=admin, query_string=params)
    assert response.status_code == 200, response.get_json()
    assert_close(response.get_json()["data"], reference(rows, params))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(after=TIMES, before=TIMES, column=st.sampled_from(['started', 'completed']),
       status=st.sampled_from([None, 'failed', 'completed,pending']))
def test_one_time_window_equals_reference(client, admin, rows, after, before, column, status):
    """Windows on one time column alone are the ones cut into day and hour cells."""
    params = {f'{column}_after': after, f'{column}_before': before}
    if status:
        params['status'] = status
    response = client.get(f'{API}/jobs/summary', headers=admin, query_string=params)
    assert_close(response.get_json()["data"], reference(rows, params))


def test_every_duration_bucket_reports_within_one_percent():
    buckets = rollups.duration_buckets()
    lows = [low for _, low, _ in buckets]
    assert lows == sorted(lows) and [i for i, _, _ in buckets] == sorted(i for i, _, _ in buckets)
    for (_, low, value), next_low in zip(buckets[1:-1], lows[2:], strict=True):
        high = next_low - 1
        durations = range(low, high + 1) if abs(low) < 200 else (low, high)
        for duration in durations:
            if abs(duration) < 100:
                assert value == duration  # exact below 100 seconds
            assert abs(value - duration) <= 0.01 * abs(duration)
    assert lows[-1] <= rollups.LONGEST < lows[-1] * 1.03


def test_the_database_buckets_are_the_ones_the_summary_reads(app):
    with db.database.connection_context():
        stored = db.database.execute_sql(
            'SELECT id, low, value FROM datamachine_duration_buckets ORDER BY low').fetchall()
    assert [tuple(map(int, row)) for row in stored] == rollups.duration_buckets()
