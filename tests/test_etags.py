"""ETag and If-None-Match on GET /jobs, GET /jobs/{id} and GET /jobs/summary: a poll that finds
nothing new is answered 304 with no body, and never when the answer changed."""
import random

import pytest
from support import API, insert_job

from datamachine_jobs import db
from datamachine_jobs.models import Job

PATHS = ['/jobs', '/jobs?status=failed&per_page=5', '/jobs/summary',
         '/jobs/summary?group_by=flow_id', '/jobs/{id}', '/jobs?_fields=job_id,status']


def test_a_matching_if_none_match_is_answered_304(client, admin):
    job = insert_job('failed')
    first = client.get(f'{API}/jobs/{job}', headers=admin)
    etag = first.headers['ETag']
    assert etag.startswith('"') and first.headers['Cache-Control'] == 'private, no-cache'
    again = client.get(f'{API}/jobs/{job}', headers={**admin, 'If-None-Match': etag})
    assert again.status_code == 304 and again.get_data() == b''
    assert again.headers['ETag'] == etag
    other = client.get(f'{API}/jobs/{job}', headers={**admin, 'If-None-Match': '"other"'})
    assert other.status_code == 200 and other.get_json() == first.get_json()
    # An error is never a 304, nor does it carry an ETag.
    missing = client.get(f'{API}/jobs/{job + 1}', headers={**admin, 'If-None-Match': '*'})
    assert missing.status_code == 404 and 'ETag' not in missing.headers


@pytest.mark.parametrize('seed', range(3))
def test_the_etag_is_never_stale(client, admin, seed):
    """Poll every path, make a random change (or none), poll again with If-None-Match: a 304
    must mean the answer is what it was."""
    rng = random.Random(seed)
    ids = [insert_job(rng.choice(['completed', 'failed', 'pending']), flow_id=rng.randint(1, 3))
           for _ in range(8)]
    for _ in range(25):
        target = rng.choice(ids)
        paths = [path.format(id=target) for path in PATHS]
        seen = {path: client.get(API + path, headers=admin) for path in paths}
        change = rng.choice(['none', 'none', 'insert', 'status', 'message', 'delete'])
        with db.database.connection_context():
            if change == 'insert':
                ids.append(insert_job('processing', flow_id=rng.randint(1, 3)))
            elif change == 'status':
                Job.update(status=rng.choice(['failed - x', 'completed'])).where(
                    Job.job_id == target).execute()
            elif change == 'message':
                Job.update(error_message=str(rng.random())).where(Job.job_id == target).execute()
            elif change == 'delete' and len(ids) > 3:
                ids.remove(target)
                Job.delete().where(Job.job_id == target).execute()
        for path, before in seen.items():
            if before.status_code != 200:
                continue
            now = client.get(API + path, headers={**admin,
                                                  'If-None-Match': before.headers['ETag']})
            fresh = client.get(API + path, headers=admin)
            if now.status_code == 304:
                assert fresh.get_data() == before.get_data(), (change, path)
            else:
                assert now.status_code in (200, 404)
                assert now.get_data() != before.get_data() or now.status_code == 404, path
