"""Clearing every job swaps the tables: on SQLite in one transaction (services.swap), on MariaDB
at one RENAME TABLE (services.swap_mysql). The rows that stay, the counts and rollups, the schema
once the old tables are freed, and a swap that fails leaving the old tables whole."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from support import (
    API,
    count_rows,
    insert_items,
    insert_job,
    production_gunicorn,
    rollups_and_jobs,
    wait_for,
)

from datamachine_jobs import db
from datamachine_jobs.migrating.steps import TRIGGER_GENERATION
from datamachine_jobs.models import Job, JobCount, ProcessedItem
from datamachine_jobs.services import clearing, seed, swap, swap_mysql

TESTS = os.path.dirname(os.path.abspath(__file__))
STATUSES = ['pending', 'processing', 'completed', 'agent_skipped - duplicate content', 'failed',
            'failed - timeout']


def schema(backend):
    """Every table, column, index and trigger, as the database describes them (the generation
    suffix MariaDB's swaps give the triggers left out)."""
    with db.database.connection_context():
        if backend == 'sqlite':
            return sorted(db.database.execute_sql(
                'SELECT type, name, tbl_name, sql FROM sqlite_master').fetchall())
        described = []
        for query in (
                'SELECT table_name, column_name, column_type, extra, generation_expression '
                'FROM information_schema.columns WHERE table_schema = DATABASE()',
                'SELECT table_name, index_name, seq_in_index, column_name, non_unique '
                'FROM information_schema.statistics WHERE table_schema = DATABASE()',
                'SELECT event_object_table, trigger_name, action_timing, event_manipulation, '
                'action_statement FROM information_schema.triggers '
                'WHERE trigger_schema = DATABASE()'):
            described += [tuple(str(value) for value in row)
                          for row in db.database.execute_sql(query).fetchall()]
        return sorted((row[0], TRIGGER_GENERATION.sub('', row[1]), *row[2:])
                      for row in described)


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


@pytest.mark.parametrize('cleanup_processed', [True, False])
def test_a_swap_leaves_the_schema_as_it_was(app, backend, cleanup_processed):
    before = schema(backend)
    jobs = [insert_job(status) for status in STATUSES]
    insert_items(jobs[0], 2)
    later = insert_job('pending')

    clear_up_to(app, max(jobs), cleanup_processed)

    assert schema(backend) == before  # the old tables freed, SQLite's indexes under their names
    assert ids(Job, Job.job_id) == [later] and counts_are_exact()


def test_the_new_tables_serve_before_the_old_are_freed(app, backend, client, admin):
    """On SQLite the new jobs table's indexes carry a suffix until then."""
    jobs = [insert_job(status) for status in STATUSES]
    # Durations past the one-second buckets: the longest is looked up through its index.
    later = [insert_job('failed', completed_at=f'2026-01-01 0{hours}:00:00') for hours in (2, 3)]
    with app.app_context(), db.database.connection_context():
        if backend == 'sqlite':
            with db.database.atomic():
                swap.swap_all(max(jobs), cleanup_processed=True)
            tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            swap_mysql.swap_all(max(jobs), cleanup_processed=True)
            tables = 'SELECT table_name FROM information_schema.tables WHERE table_schema = '
            tables += 'DATABASE()'
        aside = [name for (name,) in db.database.execute_sql(tables) if swap.ASIDE in name]
    assert len(aside) == 4  # jobs, counts, rollups, processed items
    listed = client.get(f'{API}/jobs?status=failed', headers=admin).get_json()
    assert [job['job_id'] for job in listed['data']] == later[::-1] and listed['total'] == 2
    summary = client.get(f'{API}/jobs/summary', headers=admin).get_json()['data']
    assert (summary['total'], summary['duration_seconds']['max']) == (2, 3 * 3600)
    health = client.get(f'{API}/flows/health?window=400d', headers=admin).get_json()['data']
    assert [(flow['runs'], flow['failures']) for flow in health] == [(2, 2)]
    with app.app_context(), db.database.connection_context():
        (swap.free_cleared if backend == 'sqlite' else swap_mysql.drop_cleared)()
    assert client.get(f'{API}/jobs/summary', headers=admin).get_json()['data'] == summary
    assert counts_are_exact()


def test_a_swap_that_fails_leaves_the_old_tables_whole(app, backend, trigger):
    jobs = [insert_job(status) for status in STATUSES]
    items = insert_items(jobs[0], 2)
    later = insert_job('pending')
    # Copying the job beyond the bound into the new table fails, after every rename.
    trigger('refuse_copies', 'BEFORE INSERT', 'datamachine_jobs', 'new.job_id = ' + str(later),
            "SELECT RAISE(ABORT, 'injected failure')",
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'")
    before = schema(backend)

    with pytest.raises(Exception, match='injected failure'):
        clear_up_to(app, max(jobs), cleanup_processed=True)

    assert schema(backend) == before
    assert ids(Job, Job.job_id) == sorted([*jobs, later])
    assert ids(ProcessedItem, ProcessedItem.id) == items and counts_are_exact()


def test_writes_during_a_swap_all_land_and_stay_counted(app, backend):
    """Runners keep creating, moving, deleting jobs and recording items while every job is
    cleared: each of their writes is in the new tables, and the counts and rollups are exact."""
    old = [insert_job(status, pipeline_id=n % 3 + 1, flow_id=n % 5 + 1)
           for n, status in enumerate(STATUSES * 40)]
    for job_id in old[::7]:
        insert_items(job_id, 2)
    bound, stop, outcomes, errors, written = max(old), threading.Event(), [], [], []

    def runner(number):
        expected = {}
        try:
            while not stop.is_set() and len(expected) < 400:
                started = time.monotonic()
                job_id = insert_job('pending', pipeline_id=number, flow_id=10 + number)
                expected[job_id] = ('pending', [])
                with db.database.connection_context():
                    Job.update(status='processing', started_at='2026-01-01 00:00:00').where(
                        Job.job_id == job_id).execute()
                if job_id % 3 == 0:
                    with db.database.connection_context():
                        Job.delete().where(Job.job_id == job_id).execute()
                    expected[job_id] = None
                    continue
                with db.database.connection_context():
                    Job.update(status='completed', completed_at='2026-01-01 00:02:00').where(
                        Job.job_id == job_id).execute()
                expected[job_id] = ('completed', insert_items(job_id, 1))
                written.append((started, time.monotonic()))
        except Exception as exc:  # reported below, with the thread's name
            errors.append(exc)
        outcomes.append(expected)

    runners = [threading.Thread(target=runner, args=(n,)) for n in (1, 2)]
    for thread in runners:
        thread.start()
    time.sleep(0.2)
    began = time.monotonic()
    try:
        done = clear_up_to(app, bound, cleanup_processed=True)
        ended = time.monotonic()
    finally:
        stop.set()
        for thread in runners:
            thread.join(60)

    assert not errors
    assert any(start < ended and end > began for start, end in written)  # during the swap
    assert done['jobs'] == len(old)
    expected = {job_id: state for outcome in outcomes for job_id, state in outcome.items()}
    assert expected and min(expected) > bound
    with db.database.connection_context():
        jobs = dict(Job.select(Job.job_id, Job.status).tuples())
        items = sorted(ProcessedItem.select(ProcessedItem.id).tuples())
    assert jobs == {job_id: state[0] for job_id, state in expected.items() if state}
    assert [item for (item,) in items] == sorted(
        item for state in expected.values() if state for item in state[1])
    assert counts_are_exact()


# A process that swaps every job up to a bound away, as DELETE /jobs does, to be killed.
SWAP = """
import sys
sys.path.insert(0, sys.argv[1])
from support import make_app
from datamachine_jobs import db
from datamachine_jobs.services import clearing
app = make_app(sys.argv[2])
with app.app_context(), db.database.connection_context():
    clearing.clear_jobs(False, True, 1000, int(sys.argv[3]), lambda **rows: None).join()
"""


@pytest.mark.slow
@pytest.mark.parametrize('delay', [0.1, 0.3, 0.6])
def test_a_swap_killed_at_any_moment_leaves_the_old_tables_or_the_new(app, client, admin,
                                                                      database_url, delay):
    with app.app_context(), db.database.connection_context():
        seed.seed(20000, rng_seed=5)
    old_jobs, old_items = ids(Job, Job.job_id), ids(ProcessedItem, ProcessedItem.id)
    later = insert_job('pending')
    later_items = insert_items(later, 2)
    process = subprocess.Popen([sys.executable, '-c', SWAP, TESTS, database_url,
                                str(max(old_jobs))])
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)

    jobs, items = ids(Job, Job.job_id), ids(ProcessedItem, ProcessedItem.id)
    assert (jobs, items) in ((old_jobs + [later], sorted(old_items + later_items)),
                             ([later], later_items))
    assert counts_are_exact()
    # Whatever it left behind, the next clear of every job runs and leaves exact counts.
    assert client.delete(f'{API}/jobs', headers=admin, json={'type': 'all'}).status_code == 200
    assert count_rows(Job) == 0 and counts_are_exact()


def test_a_second_swap_before_the_first_is_freed(app, backend):
    before = schema(backend)
    first = [insert_job(status) for status in STATUSES]
    insert_items(first[0], 2)
    with app.app_context(), db.database.connection_context():
        for bound in (max(first), max(first) + 1):
            if backend == 'sqlite':
                with db.database.atomic():
                    swap.swap_all(bound, cleanup_processed=True)
            else:
                swap_mysql.swap_all(bound, cleanup_processed=True)
            insert_job('failed')
        (swap.free_cleared if backend == 'sqlite' else swap_mysql.drop_cleared)()
    assert schema(backend) == before
    assert count_rows(Job) == 1 and counts_are_exact()  # the job made after the second


@pytest.mark.parametrize('backend', ['sqlite'], indirect=True, scope='session')
def test_freeing_in_several_threads_while_swaps_go_on(app):
    """Every worker frees what the swaps set aside, and more swaps may come meanwhile: a freer
    skips the tables another one dropped and gives the plain index names back to the live tables
    only, so nobody fails and the schema ends as it began."""
    before, errors = schema('sqlite'), []

    def free():
        with app.app_context(), db.database.connection_context():
            try:
                swap.free_cleared()
            except Exception as exc:  # reported below
                errors.append(exc)

    for _ in range(6):
        bound = max(insert_job(status) for status in STATUSES)
        insert_items(bound, 3)
        freeing = [threading.Thread(target=free) for _ in range(2)]
        with app.app_context(), db.database.connection_context():
            with db.database.atomic():
                swap.swap_all(bound, cleanup_processed=True)
            for thread in freeing:
                thread.start()
            insert_job('failed')
            with db.database.atomic():
                swap.swap_all(bound + 1, cleanup_processed=True)
        for thread in freeing:
            thread.join(60)
            assert not thread.is_alive(), 'a freer still runs after 60 s'
    free()
    assert not errors
    assert schema('sqlite') == before and count_rows(Job) == 0 and counts_are_exact()


# A process that clears every job up to a bound and dies at one moment: just before MariaDB's
# RENAME TABLE (its new tables and mirrors made), or once swapped, before freeing the old ones.
DIES = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from support import make_app
from datamachine_jobs import db
from datamachine_jobs.services import clearing, swap, swap_mysql

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[4] == 'at the rename':
    execute = swap_mysql._execute
    swap_mysql._execute = lambda sql, *args: (
        die() if sql.startswith('RENAME TABLE') else execute(sql, *args))
else:
    swap.free_in_background = die
app = make_app(sys.argv[2])
with app.app_context(), db.database.connection_context():
    clearing.clear_jobs(False, True, 1000, int(sys.argv[3]), lambda **rows: None)
"""


def left_by_a_swap(backend):
    """The tables (and, on MariaDB, triggers) a swap made that are not the live schema's."""
    return sorted(row for row in schema(backend)
                  if any(mark in ' '.join(map(str, row)) for mark in (swap.ASIDE, swap_mysql.NEXT,
                                                             swap_mysql.MIRROR)))


def swap_and_die(app, backend, database_url, moment):
    """Jobs and items before, a swap killed at `moment`; return (old jobs, later job)."""
    old = [insert_job(status) for status in STATUSES]
    insert_items(old[0], 2)
    later = insert_job('pending')
    insert_items(later, 1)
    died = subprocess.run([sys.executable, '-c', DIES, TESTS, database_url, str(max(old)),
                           moment], timeout=60)
    assert died.returncode == -signal.SIGKILL and left_by_a_swap(backend)
    return old, later


def test_a_worker_starting_frees_the_old_tables_of_a_killed_swap(app, backend, database_url,
                                                                 tmp_path):
    before = schema(backend)
    _, later = swap_and_die(app, backend, database_url, 'before freeing')

    with production_gunicorn(database_url, tmp_path, 1):
        wait_for(lambda: not left_by_a_swap(backend), 'the worker to free the old tables')

    assert schema(backend) == before
    assert ids(Job, Job.job_id) == [later] and counts_are_exact()


@pytest.mark.parametrize('backend', ['mysql'], indirect=True, scope='session')
def test_a_worker_starting_drops_the_new_tables_of_a_swap_killed_before_its_rename(
        app, backend, database_url, tmp_path):
    """Otherwise the mirror triggers would go on copying every write into tables nobody reads."""
    before = schema(backend)
    old, later = swap_and_die(app, backend, database_url, 'at the rename')

    with production_gunicorn(database_url, tmp_path, 1):
        wait_for(lambda: not left_by_a_swap(backend), 'the worker to drop the new tables')

    assert schema(backend) == before
    assert ids(Job, Job.job_id) == sorted(old + [later]) and counts_are_exact()


@pytest.mark.parametrize('backend', ['mysql'], indirect=True, scope='session')
def test_items_of_a_job_another_clear_deletes_during_a_swap_stay(app, monkeypatch):
    """MariaDB's swap finds the items to keep before it copies the rest: a job that another clear
    deletes without its items after that (as `type=failed` without cleanup_processed does) still
    leaves its items, as one deleted before the swap would."""
    jobs = [insert_job(status) for status in STATUSES]
    cleared_meanwhile, kept_by_swap = jobs[4], jobs[0]
    items = insert_items(cleared_meanwhile, 2)
    insert_items(kept_by_swap, 1)
    copy_beyond = swap_mysql._copy_beyond

    def another_clear_first(*args):
        def clear():
            with app.app_context(), db.database.connection_context():
                Job.delete().where(Job.job_id == cleared_meanwhile).execute()
        thread = threading.Thread(target=clear)
        thread.start()
        thread.join(30)
        return copy_beyond(*args)

    monkeypatch.setattr(swap_mysql, '_copy_beyond', another_clear_first)
    done = clear_up_to(app, max(jobs), cleanup_processed=True)

    assert ids(ProcessedItem, ProcessedItem.id) == items and count_rows(Job) == 0
    assert done == {'jobs': len(jobs) - 1, 'processed_items': 1} and counts_are_exact()
