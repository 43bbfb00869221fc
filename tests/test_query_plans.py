"""Every filter and sort of GET /jobs is served by an index: no full table scan, and no sort of
the whole table (a filtered subset may be sorted)."""
import itertools
import re

import pytest

from datamachine_jobs import db
from datamachine_jobs.models import Job, ProcessedItem
from datamachine_jobs.services import flows, listing, seed

FILTERS = [{}, {'status': ('failed',)}, {'status': ('failed - timeout',)}, {'pipeline_id': 5},
           {'flow_id': 42}, {'pipeline_id': 5, 'status': ('failed',)},
           {'flow_id': 42, 'status': ('completed',)}, {'pipeline_id': 5, 'flow_id': 42},
           {'status': ('failed', 'agent_skipped - duplicate content')},
           {'completed_after': '2026-06-01 00:00:00'},
           {'started_after': '2026-06-01 00:00:00', 'started_before': '2026-06-02 00:00:00'},
           {'status': ('failed', 'agent_skipped'), 'completed_after': '2026-11-01 00:00:00'}]
ORDERBY = ['job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at']


@pytest.fixture(scope='module')
def analysed(session_app, backend):
    """A realistic table with fresh planner statistics, seeded once for this module's tests,
    which only read it."""
    db.database.initialize(session_app.extensions['datamachine_database'])
    with session_app.app_context(), db.database.connection_context():
        seed.seed(20000, rng_seed=1)
        db.database.execute_sql('ANALYZE' if backend == 'sqlite'
                                else 'ANALYZE TABLE datamachine_jobs')
    yield
    with db.database.connection_context():
        ProcessedItem.delete().execute()
        Job.delete().execute()


def plan(backend, statement):
    """The plan's steps; for a page (a deferred join) those of the inner query that picks the
    page's ids, since the outer one only reads and orders those few rows."""
    sql, params = statement
    if backend == 'sqlite':
        rows = list(db.database.execute_sql('EXPLAIN QUERY PLAN ' + sql, params))
        inner = [row[0] for row in rows if row[3].startswith('MATERIALIZE')]
        return [row[3] for row in rows if not inner or row[1] in inner]
    cursor = db.database.execute_sql('EXPLAIN ' + sql, params)
    columns = [c[0] for c in cursor.description]
    steps = [dict(zip(columns, row, strict=True)) for row in cursor]
    derived = [step for step in steps if step['select_type'] == 'DERIVED']
    return derived or steps


def assert_indexed(backend, steps, filtered, ordered_by_key):
    if backend == 'sqlite':
        full_scans = [s for s in steps if re.fullmatch(r'SCAN \w+', s)]
        # Walking the table in rowid (job_id) order stops after one page: not a full scan.
        assert not full_scans or ordered_by_key, steps
        assert filtered or not any('TEMP B-TREE' in s for s in steps), steps
    else:
        assert all(step['type'] != 'ALL' and step['key'] for step in steps), steps
        assert filtered or not any('filesort' in (s['Extra'] or '') for s in steps), steps


@pytest.mark.usefixtures('analysed')
def test_list_and_count_queries_use_indexes(backend):
    with db.database.connection_context():
        for filters, orderby in itertools.product(FILTERS, ORDERBY):
            for order in ('ASC', 'DESC'):
                steps = plan(backend, listing.page_sql(orderby, order, 50, 0, **filters))
                assert_indexed(backend, steps, bool(filters), orderby == 'job_id')
        for filters in FILTERS:
            count = listing.count_sql(**filters)
            if any('_after' in name or '_before' in name for name in filters):
                assert_indexed(backend, plan(backend, count), True, False)
            else:  # answered from the counts kept by triggers, a table of a few hundred rows
                assert 'datamachine_job_counts' in count[0]


@pytest.mark.usefixtures('analysed')
def test_a_page_of_one_status_walks_its_own_index(backend):
    """The first page of `status=failed`, newest first, reads the (base_status, job_id) index
    backwards; a walk of the primary key that skips other statuses is what MariaDB's
    ORDER-BY-LIMIT heuristic picks without a hint."""
    expected = {
        (('status', ('failed',)),): 'job_base_status_job_id',
        (('status', ('failed - timeout',)),): 'job_status_job_id',
        (('flow_id', 42), ('status', ('failed',))): 'job_flow_id_base_status_job_id',
    }
    with db.database.connection_context():
        for filters, index in expected.items():
            steps = plan(backend, listing.page_sql('job_id', 'DESC', 50, 0, **dict(filters)))
            if backend == 'sqlite':
                assert any(index in step for step in steps), steps
            else:
                assert [step['key'] for step in steps] == [index], steps


@pytest.mark.usefixtures('analysed')
@pytest.mark.parametrize('pipeline_id', [None, 5])
def test_flow_health_reads_its_window_from_one_index_alone(backend, pipeline_id):
    """The outcomes of a window, by flow, come from one range of the (base_status, completed_at,
    job_id, flow_id, pipeline_id) index; MariaDB reads no job row. (SQLite 3.40 never takes an
    index holding a generated column, base_status here, as covering, so it reads the rows.)"""
    index = 'datamachine_jobs_base_status_completed_at_flow'
    with db.database.connection_context():
        steps = plan(backend, flows.window_sql('2026-11-01 00:00:00', pipeline_id))
    if backend == 'sqlite':
        assert any(re.match(f'SEARCH datamachine_jobs USING (COVERING )?INDEX {index} ', step)
                   for step in steps), steps
    else:
        assert [(step['key'], 'Using index' in step['Extra']) for step in steps] == [
            (index, True)], steps
