"""Property test: GET /jobs under random filters, sorting and paging equals a reference computed in
plain Python over the same rows."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import API, insert_job, matches

from datamachine_jobs import db

KEYS = ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at',
        'error_message']
ORDERBY = KEYS[:-1]
STATUSES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
            'agent_skipped - duplicate content', 'failed', 'failed - timeout']
TIMES = ['2026-01-01 00:00:00', '2026-01-01 00:00:30', '2026-01-02 12:00:00',
         '2026-02-01 00:00:00']
PROBE_TIMES = TIMES + ['2025-12-31 23:59:59', '2026-01-01 00:00:01', '2026-03-01 00:00:00']


@pytest.fixture
def rows(app):
    """90 jobs with many ties and NULL timestamps, read back with plain SQL."""
    rng = random.Random(11)
    for _ in range(90):
        status = rng.choice(STATUSES)
        started = None if status == 'pending' else rng.choice(TIMES + [None])
        completed = None if status in ('pending', 'processing') else rng.choice(TIMES + [None])
        insert_job(status, pipeline_id=rng.randint(1, 3), flow_id=rng.randint(1, 5),
                   started_at=started, completed_at=completed,
                   error_message=rng.choice([None, 'boom']))
    with db.database.connection_context():
        cursor = db.database.execute_sql(f'SELECT {", ".join(KEYS)} FROM datamachine_jobs')
        found = [dict(zip(KEYS, row, strict=True)) for row in cursor.fetchall()]
        # The database's collation orders the status text; take its order, not Python's.
        ranks = db.database.execute_sql(
            'SELECT DISTINCT status FROM datamachine_jobs ORDER BY status').fetchall()
    status_rank = {status: rank for rank, (status,) in enumerate(ranks)}
    for row in found:
        for key in ('started_at', 'completed_at'):
            row[key] = None if row[key] is None else str(row[key])[:19]
    return found, status_rank


def reference(found, status_rank, params):
    orderby = params.get('orderby', 'job_id').lower().removeprefix('j.')
    descending = params.get('order', 'DESC').upper() == 'DESC'

    def key(row):
        value = row[orderby]
        if orderby == 'status':
            value = status_rank[value]
        return (value is not None, value if value is not None else 0, row['job_id'])

    selected = sorted((r for r in found if matches(r, params)), key=key, reverse=descending)
    offset, per_page = params.get('offset', 0), params.get('per_page', 50)
    fields = params['_fields'].split(',') if '_fields' in params else KEYS
    page = [{k: r[k] for k in KEYS if k in fields} for r in selected[offset:offset + per_page]]
    return len(selected), page


query_params = st.fixed_dictionaries({}, optional={
    'orderby': st.sampled_from(ORDERBY).flatmap(
        lambda c: st.sampled_from([c, 'j.' + c, c.upper()])),
    'order': st.sampled_from(['ASC', 'DESC', 'asc', 'Desc']),
    'per_page': st.integers(1, 100),
    'offset': st.integers(0, 95),
    'pipeline_id': st.integers(1, 4),
    'flow_id': st.integers(1, 6),
    'status': st.lists(st.sampled_from(STATUSES + ['failed - other', 'completed - x']),
                       min_size=1, max_size=3).map(','.join),
    'started_after': st.sampled_from(PROBE_TIMES),
    'started_before': st.sampled_from(PROBE_TIMES),
    'completed_after': st.sampled_from(PROBE_TIMES),
    'completed_before': st.sampled_from(PROBE_TIMES),
    '_fields': st.lists(st.sampled_from(KEYS), min_size=1, max_size=7, unique=True).map(
        ','.join),
})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=query_params)
def test_list_equals_reference(client, admin, rows, params):
    found, status_rank = rows
    response = client.get(f'{API}/jobs', headers=admin, query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    total, page = reference(found, status_rank, params)
    assert body['total'] == total
    assert body['data'] == page
    assert response.headers['X-WP-Total'] == str(total)
    more = params.get('offset', 0) + params.get('per_page', 50) < total
    assert (body['next_cursor'] is not None) == more
