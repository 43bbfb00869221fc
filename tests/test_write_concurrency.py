"""Writers wait their turn: on SQLite every transaction begins as a write (BEGIN IMMEDIATE), so a
transaction that reads before it writes waits for the lock instead of failing with SQLITE_BUSY."""
import sqlite3
import threading
import time
from collections import Counter

import pytest
from support import API

from datamachine_jobs import db

THREADS_PER_KIND = 4
SECONDS = 4
MAX_REQUESTS_PER_THREAD = 400

pytestmark = pytest.mark.slow  # seconds of load


def test_job_creators_and_item_recorders_never_fail_each_other(app, admin):
    """4 threads create jobs and 4 record processed items for a few seconds: no 503 at all."""
    created = app.test_client().post(f'{API}/jobs', headers=admin,
                                     json={'pipeline_id': 1, 'flow_id': 1})
    job_id = created.get_json()['data']['job_id']
    statuses, lock = Counter(), threading.Lock()
    start = threading.Barrier(2 * THREADS_PER_KIND)

    def create(client, _):
        return client.post(f'{API}/jobs', headers=admin, json={'pipeline_id': 1, 'flow_id': 2})

    def record(client, n):
        items = [{'flow_step_id': 'step_1', 'source_type': 'rss',
                  'item_identifier': f'{threading.get_ident()}-{n}-{k}'} for k in range(5)]
        return client.post(f'{API}/jobs/{job_id}/processed-items', headers=admin,
                           json={'items': items})

    def work(request):
        client = app.test_client()
        start.wait(timeout=30)
        deadline = time.monotonic() + SECONDS
        for n in range(MAX_REQUESTS_PER_THREAD):
            if time.monotonic() > deadline:
                break
            status = request(client, n).status_code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=work, args=(request,))
               for request in (create, record) for _ in range(THREADS_PER_KIND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads)
    assert set(statuses) <= {200, 201}, statuses
    assert statuses[200] > 0 and statuses[201] > 0


def test_a_sqlite_transaction_holds_the_write_lock_from_its_start(app, backend, tmp_path):
    """The check that keeps deferred write transactions out: whatever a transaction goes on to
    do, another writer is locked out from its BEGIN on."""
    if backend != 'sqlite':
        assert db.is_mysql()  # InnoDB locks rows as they are written; nothing to check here
        return
    with db.database.connection_context(), db.database.atomic():
        db.database.execute_sql('SELECT 1').fetchall()  # read only, so far
        other = sqlite3.connect(db.database.obj.database, timeout=0)
        try:
            other.execute('BEGIN IMMEDIATE')
        except sqlite3.OperationalError as err:
            assert 'locked' in str(err)
        else:
            raise AssertionError('a second writer got the lock inside an open transaction')
        finally:
            other.close()
