"""Totals come from counts the database keeps with triggers; they must always equal COUNT(*),
whoever writes the jobs table and however (API, direct SQL, concurrent writers). The rollups
the summaries read are kept the same way and must always equal the cells of the jobs there are."""
import random
import threading

import pytest
from support import API, change_settings, insert_job, rollups_and_jobs

from datamachine_jobs import db
from datamachine_jobs.models import Job
from datamachine_jobs.services import listing

FILTERS = [{}, {'status': 'failed'}, {'status': 'failed - timeout'}, {'status': 'agent_skipped'},
           {'status': 'completed,processing'}, {'pipeline_id': 1}, {'flow_id': 2},
           {'pipeline_id': 2, 'status': 'failed,pending'}, {'flow_id': 3, 'status': 'completed'}]
STATUSES = ['pending', 'processing', 'completed', 'completed_no_items', 'agent_skipped',
            'agent_skipped - dup', 'failed', 'failed - timeout', 'FAILED - Timeout', 'Completed']


def direct(sql, params=()):
    with db.database.connection_context():
        db.database.execute_sql(sql.replace('?', db.database.param), params)


def assert_totals_exact(client, admin):
    for query in FILTERS:
        total = client.get(f'{API}/jobs', headers=admin, query_string=query).get_json()['total']
        filters = {k: (tuple(v.split(',')) if k == 'status' else v) for k, v in query.items()}
        with db.database.connection_context():
            counted = listing.filtered(Job.select(), **filters).count()
        assert total == counted, query
    kept, computed = rollups_and_jobs()
    assert kept == computed


def test_totals_follow_api_and_direct_sql_writes(client, admin):
    rng = random.Random(3)
    ids = [insert_job(rng.choice(STATUSES), pipeline_id=rng.randint(1, 3),
                      flow_id=rng.randint(1, 4)) for _ in range(60)]
    assert_totals_exact(client, admin)

    created = [client.post(f'{API}/jobs', headers=admin, json={
        'pipeline_id': 2, 'flow_id': 3}).get_json()['data']['job_id'] for _ in range(5)]
    client.patch(f'{API}/jobs/{created[0]}', headers=admin, json={'status': 'processing'})
    client.patch(f'{API}/jobs/{created[1]}', headers=admin, json={'status': 'failed - timeout'})
    assert_totals_exact(client, admin)

    direct("INSERT INTO datamachine_jobs (pipeline_id, flow_id, status) VALUES (1, 2, ?)",
           ('FAILED - Upper',))
    direct('UPDATE datamachine_jobs SET status = ? WHERE job_id IN (?, ?)',
           ('completed', ids[0], ids[1]))
    direct('UPDATE datamachine_jobs SET pipeline_id = 3, flow_id = 1 WHERE job_id = ?', (ids[2],))
    direct('UPDATE datamachine_jobs SET error_message = ? WHERE job_id = ?', ('x', ids[3]))
    direct('DELETE FROM datamachine_jobs WHERE job_id IN (?, ?)', (ids[4], ids[5]))
    assert_totals_exact(client, admin)

    client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed', 'flow_id': 2})
    assert_totals_exact(client, admin)
    client.delete(f'{API}/jobs', headers=admin, json={'type': 'all'})
    assert_totals_exact(client, admin)
    assert client.get(f'{API}/jobs', headers=admin).get_json()['total'] == 0


@pytest.mark.parametrize("writers", [6])
def test_totals_survive_concurrent_writers(client, admin, writers):
    seed_ids = [insert_job(random.choice(STATUSES), pipeline_id=1 + n % 3, flow_id=1 + n % 4)
                for n in range(40)]
    start = threading.Barrier(writers)
    failures = []

    def work(seed):
        rng = random.Random(seed)
        start.wait(timeout=10)
        try:
            for _ in range(150):
                action = rng.random()
                if action < 0.4:
                    insert_job(rng.choice(STATUSES), pipeline_id=rng.randint(1, 3),
                               flow_id=rng.randint(1, 4))
                elif action < 0.7:
                    direct('UPDATE datamachine_jobs SET status = ?, flow_id = ? WHERE job_id = ?',
                           (rng.choice(STATUSES), rng.randint(1, 4), rng.choice(seed_ids)))
                else:
                    direct('DELETE FROM datamachine_jobs WHERE job_id = ?',
                           (rng.choice(seed_ids),))
        except Exception as exc:  # reported below, with the thread's seed
            failures.append((seed, exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert_totals_exact(client, admin)


def test_totals_after_a_seed_and_a_batched_clear(client, admin, app, monkeypatch):
    """The seed and the clears count in bulk with the triggers deferred: same totals."""
    from datamachine_jobs.services import seed

    change_settings(monkeypatch, app, clear_batch_size=7)
    insert_job('failed - timeout', pipeline_id=2, flow_id=2)  # counted by the trigger
    with app.app_context(), db.database.connection_context():
        seed.seed(300, rng_seed=5)
    assert client.get(f'{API}/jobs', headers=admin).get_json()['total'] == 301
    assert_totals_exact(client, admin)
    client.delete(f'{API}/jobs', headers=admin, json={'type': 'failed', 'cleanup_processed': True})
    assert_totals_exact(client, admin)
    insert_job('completed', pipeline_id=1, flow_id=2)  # the triggers count again afterwards
    assert_totals_exact(client, admin)
