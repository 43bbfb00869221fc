"""Clearing every job: on SQLite a swap of the tables in one transaction (services.swap), on
MariaDB batches. The same rows stay on both; on SQLite the schema comes back as it was, and a
swap that fails leaves the old tables whole."""
import pytest
from support import API, count_rows, insert_items, insert_job, rollups_and_jobs

from datamachine_jobs import db
from datamachine_jobs.models import Job, JobCount, ProcessedItem
from datamachine_jobs.services import clearing, swap

STATUSES = ['pending', 'processing', 'completed', 'agent_skipped - duplicate content', 'failed',
            'failed - timeout']


def schema():
    """Every table, index and trigger as SQLite keeps them (rootpage left out)."""
    with db.database.connection_context():
        return sorted(db.database.execute_sql(
            'SELECT type, name, tbl_name, sql FROM sqlite_master').fetchall())


def ids(model, key):
    with db.database.connection_context():
        return sorted(value for (value,) in model.select(key).tuples())


def counts_are_exact():
    with db.database.connection_context():
        kept = {(p, f, s): n for p, f, s, n in JobCount.select(
            JobCount.pipeline_id, JobCount.flow_id, JobCount.status, JobCount.n).tuples() if n}
        counted = {}
        for p, f, s in Job.select(Job.pipeline_id, Job.flow_id, Job.status).tuples():
            counted[(p, f, s)] = counted.get((p, f, s), 0) + 1
    kept_rollups, computed = rollups_and_jobs()
    return kept == counted and kept_rollups == computed


def clear_up_to(app, bound, cleanup_processed):
    """Clear every job up to `bound` as DELETE /jobs does; return the rows it said it deleted
    once the tables it set aside (on SQLite) are freed."""
    done = {}

    def progress(**rows):
        for table, n in rows.items():
            done[table] = done.get(table, 0) + n

    with app.app_context(), db.database.connection_context():
        freeing = clearing.clear_jobs(False, cleanup_processed, 2, bound, progress)
    if freeing is not None:
        freeing.join(60)
    return done


@pytest.mark.parametrize('cleanup_processed', [True, False])
def test_clearing_every_job_keeps_later_jobs_and_earlier_orphans(app, client, admin,
                                                                 cleanup_processed):
    orphaned = insert_job('failed', pipeline_id=7, flow_id=70)
    orphans = insert_items(orphaned, 2, flow_id=70, pipeline_id=7)
    assert client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed'}).status_code == 200
    cleared = [insert_job(status, pipeline_id=n % 2 + 1, flow_id=n % 3 + 1)
               for n, status in enumerate(STATUSES)]
    cleared_items = [item for job in cleared for item in insert_items(job, 2)]
    later = insert_job('pending', pipeline_id=9, flow_id=99)  # after the clear's bound
    later_items = insert_items(later, 3, flow_id=99, pipeline_id=9)

    done = clear_up_to(app, max(cleared), cleanup_processed)

    assert done == {'jobs': len(cleared),
                    'processed_items': len(cleared_items) if cleanup_processed else 0}
    assert ids(Job, Job.job_id) == [later]
    kept_items = orphans + later_items + ([] if cleanup_processed else cleared_items)
    assert ids(ProcessedItem, ProcessedItem.id) == sorted(kept_items)
    assert counts_are_exact()
    assert insert_job() > later  # no id is given twice
    assert max(insert_items(later, 1)) > max(kept_items)


def test_clearing_every_job_through_the_api_leaves_exact_counts(app, client, admin):
    for n, status in enumerate(STATUSES * 3):
        insert_items(insert_job(status, pipeline_id=n % 2 + 1, flow_id=n % 4 + 1), 1)
    response = client.delete(f'{API}/jobs', headers=admin,
                             json={'type': 'all', 'cleanup_processed': True})
    assert response.get_json() == {'success': True, 'message': 'Jobs cleared successfully.',
                                   'jobs_deleted': 18, 'processed_items_cleaned': 18}
    assert count_rows(Job) == count_rows(ProcessedItem) == 0 and counts_are_exact()
    created = client.post(f'{API}/jobs', headers=admin, json={'pipeline_id': 3, 'flow_id': 5})
    assert created.status_code == 201 and counts_are_exact()


# MariaDB clears every job in batches: the swap is SQLite's.
sqlite_only = pytest.mark.parametrize('backend', ['sqlite'], indirect=True, scope='session')


@sqlite_only
@pytest.mark.parametrize('cleanup_processed', [True, False])
def test_a_swap_leaves_the_schema_as_it_was(app, cleanup_processed):
    before = schema()
    jobs = [insert_job(status) for status in STATUSES]
    insert_items(jobs[0], 2)
    later = insert_job('pending')

    clear_up_to(app, max(jobs), cleanup_processed)

    assert schema() == before  # the old tables freed, the indexes under their plain names
    assert ids(Job, Job.job_id) == [later] and counts_are_exact()


@sqlite_only
def test_the_new_tables_serve_with_suffixed_indexes_until_the_old_are_freed(app, client, admin):
    jobs = [insert_job(status) for status in STATUSES]
    # Durations past the one-second buckets: the longest is looked up through its index.
    later = [insert_job('failed', completed_at=f'2026-01-01 0{hours}:00:00') for hours in (2, 3)]
    with app.app_context(), db.database.connection_context(), db.database.atomic():
        swap.swap_all(max(jobs), cleanup_processed=True)
    with db.database.connection_context():
        aside = [name for (name,) in db.database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%_cleared_%'")]
    assert len(aside) == 4  # jobs, counts, rollups, processed items
    listed = client.get(f'{API}/jobs?status=failed', headers=admin).get_json()
    assert [job['job_id'] for job in listed['data']] == later[::-1] and listed['total'] == 2
    summary = client.get(f'{API}/jobs/summary', headers=admin).get_json()['data']
    assert (summary['total'], summary['duration_seconds']['max']) == (2, 3 * 3600)
    with app.app_context(), db.database.connection_context():
        swap.free_cleared()
    assert client.get(f'{API}/jobs/summary', headers=admin).get_json()['data'] == summary


@sqlite_only
def test_a_swap_that_fails_leaves_the_old_tables_whole(app, trigger):
    jobs = [insert_job(status) for status in STATUSES]
    items = insert_items(jobs[0], 2)
    later = insert_job('pending')
    # Copying the job beyond the bound into the new table fails, after every rename.
    trigger('refuse_copies', 'BEFORE INSERT', 'datamachine_jobs', 'new.job_id = ' + str(later),
            "SELECT RAISE(ABORT, 'injected failure')", '')
    before = schema()

    with pytest.raises(Exception, match='injected failure'):
        clear_up_to(app, max(jobs), cleanup_processed=True)

    assert schema() == before
    assert ids(Job, Job.job_id) == sorted([*jobs, later])
    assert ids(ProcessedItem, ProcessedItem.id) == items and counts_are_exact()
