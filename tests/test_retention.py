"""Retention that runs itself: rules kept in the database and edited over HTTP, a preview with
exact counts, a run (over HTTP and from the command line) that deletes exactly what the rules
say, keeps the newest finished jobs of each flow and never a pending or processing job, and is
audited with its counts per rule."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from support import API, count_rows, insert_items, insert_job, wait_for

from datamachine_jobs import db
from datamachine_jobs.models import Job, ProcessedItem

DAY = 86400
RULES = {'jobs': {'completed': '30d', 'failed': 90 * DAY, 'cancelled': '1d'},
         'keep_per_flow': 2, 'processed_items': '60d'}
STORED = {'jobs': {'completed': 30 * DAY, 'failed': 90 * DAY, 'cancelled': DAY},
          'keep_per_flow': 2, 'processed_items': 60 * DAY}


def days_ago(days):
    return (datetime.now(UTC) - timedelta(days=days)).strftime('%Y-%m-%d %H:%M:%S')


def test_rules_are_kept_in_the_database_and_replaced_whole(client, admin):
    empty = client.get(f'{API}/retention', headers=admin).get_json()
    assert empty == {'success': True, 'data': {'jobs': {}, 'keep_per_flow': 0,
                                               'processed_items': None}, 'last_run': None}
    response = client.put(f'{API}/retention', headers=admin, json=RULES)
    assert response.status_code == 200
    assert response.get_json() == {'success': True, 'data': STORED}
    assert client.get(f'{API}/retention', headers=admin).get_json()['data'] == STORED
    client.put(f'{API}/retention', headers=admin, json={'jobs': {'FAILED': '7d'}})
    assert client.get(f'{API}/retention', headers=admin).get_json()['data'] == {
        'jobs': {'failed': 7 * DAY}, 'keep_per_flow': 0, 'processed_items': None}


JOBS_RULE = ('jobs must map final statuses (completed, completed_no_items, agent_skipped, '
             'failed, cancelled) to ages such as 30d, 12h or 90m, or seconds; pending and '
             'processing jobs are never deleted by retention.')


@pytest.mark.parametrize('body, params', [
    ({'jobs': {'pending': '1d'}}, {'jobs': JOBS_RULE}),
    ({'jobs': {'failed': '1w'}}, {'jobs': JOBS_RULE}),
    ({'jobs': ['failed']}, {'jobs': JOBS_RULE}),
    ({'jobs': {}, 'keep_per_flow': -1}, {
        'keep_per_flow': 'keep_per_flow must be an integer from 0 to 1000000.'}),
    ({'jobs': {}, 'processed_items': '0d'}, {'processed_items': (
        'processed_items must be a duration such as 2h, 90m or 7d, or a number of seconds from '
        '1 to 86399913600.')}),
    ({'jobs': {}, 'job': {}}, {'job': 'job is not a parameter of this route. Did you mean '
                                      'jobs?'}),
    ({'keep_per_flow': 3}, ['jobs']),  # an empty or partial request never removes every rule
    ({}, ['jobs']),
])
def test_bad_rules_are_refused_and_nothing_changes(client, admin, body, params):
    client.put(f'{API}/retention', headers=admin, json=RULES)
    response = client.put(f'{API}/retention', headers=admin, json=body)
    assert response.status_code == 400
    assert response.get_json()['data']['params'] == params
    assert client.get(f'{API}/retention', headers=admin).get_json()['data'] == STORED


@pytest.fixture
def history(app):
    """Random jobs over three flows and 200 days, with items; returns the ids a run of RULES
    must delete, by rule, from a plain-Python reading of the rules."""
    rng = random.Random(13)
    jobs = []
    for _ in range(120):
        flow = rng.randint(1, 3)
        status = rng.choice(['completed', 'completed - x', 'failed', 'cancelled', 'pending',
                             'processing', 'agent_skipped'])
        age = rng.uniform(0, 200)
        job_id = insert_job(status, flow_id=flow, started_at=days_ago(age + 0.01),
                            completed_at=None if status in ('pending', 'processing')
                            else days_ago(age))
        jobs.append((job_id, flow, status.split(' - ')[0], age))
    for job_id, *_ in jobs[::10]:
        insert_items(job_id, 2)
    newest_finished = {}
    for job_id, flow, base, _ in sorted(jobs, reverse=True):
        if base not in ('pending', 'processing'):
            newest_finished.setdefault(flow, []).append(job_id)
    kept = {job_id for ids in newest_finished.values() for job_id in ids[:2]}
    limits = {'completed': 30, 'failed': 90, 'cancelled': 1}
    doomed = {}
    for job_id, _, base, age in jobs:
        if base in limits and age > limits[base] + 0.001 and job_id not in kept:
            doomed.setdefault(f'jobs.{base}', set()).add(job_id)
    return doomed


def test_preview_and_run_delete_exactly_what_the_rules_say(client, admin, history):
    with db.database.connection_context():
        oldest = [item_id for (item_id,) in ProcessedItem.select(ProcessedItem.id).limit(6)
                  .tuples()]
        ProcessedItem.update(processed_at=days_ago(61)).where(
            ProcessedItem.id.in_(oldest)).execute()
    client.put(f'{API}/retention', headers=admin, json=RULES)
    total_jobs, total_items = count_rows(Job), count_rows(ProcessedItem)
    expected = [{'rule': rule, 'rows': len(history.get(rule, ()))}
                for rule in ('jobs.completed', 'jobs.failed', 'jobs.cancelled')]
    expected.append({'rule': 'processed_items', 'rows': 6})
    deleted_jobs = sum(len(ids) for ids in history.values())

    preview = client.get(f'{API}/retention/preview', headers=admin).get_json()
    assert [{k: r[k] for k in ('rule', 'rows')} for r in preview['rules']] == expected
    assert (preview['dry_run'], preview['jobs_matched'], preview['processed_items_matched']) \
        == (True, deleted_jobs, 6)
    cutoff = datetime.fromisoformat(preview['rules'][0]['older_than']).replace(tzinfo=UTC)
    assert abs(cutoff - (datetime.now(UTC) - timedelta(days=30))) < timedelta(seconds=60)
    assert count_rows(Job) == total_jobs
    unfinished = count_rows(Job, Job.base_status.in_(['pending', 'processing']))

    run = client.post(f'{API}/retention/run', headers=admin)
    assert run.status_code == 200
    body = run.get_json()
    assert [{k: r[k] for k in ('rule', 'rows')} for r in body['rules']] == expected
    assert (body['dry_run'], body['jobs_deleted'], body['processed_items_deleted']) == (
        False, deleted_jobs, 6)
    doomed = set().union(*history.values())
    with db.database.connection_context():
        left = {job_id for (job_id,) in Job.select(Job.job_id).tuples()}
    assert not left & doomed and len(left) == total_jobs - len(doomed)
    assert count_rows(Job, Job.base_status.in_(['pending', 'processing'])) == unfinished > 0
    assert count_rows(ProcessedItem) == total_items - 6  # jobs go without their items

    shown = client.get(f'{API}/retention', headers=admin).get_json()['last_run']
    assert (shown['action'], shown['outcome']) == ('retention.run', 'completed')
    assert shown['rows_deleted'] == {
        **{r['rule']: r['rows'] for r in expected if r['rows']}, 'jobs': deleted_jobs,
        'processed_items': 6}
    assert shown['parameters']['rules'] == STORED
    again = client.post(f'{API}/retention/run', headers=admin).get_json()
    assert again['jobs_deleted'] == 0 and again['processed_items_deleted'] == 0


def test_pending_and_processing_jobs_are_never_deleted(client, admin):
    for status in ('pending', 'processing'):
        job = insert_job(status, started_at=days_ago(400))
        with db.database.connection_context():
            Job.update(created_at=days_ago(400)).where(Job.job_id == job).execute()
    old = insert_job('completed', started_at=days_ago(400), completed_at=days_ago(399))
    client.put(f'{API}/retention', headers=admin, json={'jobs': {'completed': '1d'}})
    body = client.post(f'{API}/retention/run', headers=admin).get_json()
    assert body['jobs_deleted'] == 1
    with db.database.connection_context():
        assert sorted(Job.select(Job.base_status).tuples()) == [('pending',), ('processing',)]
        assert not Job.select().where(Job.job_id == old).exists()


def test_a_flow_that_rarely_runs_keeps_its_newest_finished_jobs(client, admin):
    rare = [insert_job('completed', flow_id=7, started_at=days_ago(d + 1), completed_at=days_ago(d))
            for d in (300, 200, 100)]
    busy = [insert_job('completed', flow_id=8, started_at=days_ago(d + 1), completed_at=days_ago(d))
            for d in (50, 40, 2)]
    client.put(f'{API}/retention', headers=admin,
               json={'jobs': {'completed': '30d'}, 'keep_per_flow': 2})
    client.post(f'{API}/retention/run', headers=admin)
    with db.database.connection_context():
        left = sorted(job_id for (job_id,) in Job.select(Job.job_id).tuples())
    assert left == sorted(rare[1:] + busy[1:])


def test_a_dry_run_changes_nothing_and_is_not_audited(client, admin, history):
    client.put(f'{API}/retention', headers=admin, json=RULES)
    before = count_rows(Job)
    body = client.post(f'{API}/retention/run', headers=admin, json={'dry_run': True}).get_json()
    assert body['dry_run'] is True and body['jobs_matched'] == sum(map(len, history.values()))
    assert count_rows(Job) == before
    assert client.get(f'{API}/retention', headers=admin).get_json()['last_run'] is None
    typo = client.post(f'{API}/retention/run', headers=admin, json={'dryrun': True})
    assert typo.status_code == 400 and count_rows(Job) == before


def test_the_command_line_shows_previews_and_runs_retention(app, admin, client, history):
    client.put(f'{API}/retention', headers=admin, json=RULES)
    runner = app.test_cli_runner()
    shown = runner.invoke(args=['retention', 'show'])
    assert shown.exit_code == 0, shown.output
    assert 'jobs.completed\t2592000' in shown.output and 'keep_per_flow\t2' in shown.output
    doomed = sum(map(len, history.values()))
    preview = runner.invoke(args=['retention', 'preview'])
    assert preview.exit_code == 0 and f'{doomed} jobs' in preview.output
    dry = runner.invoke(args=['retention', 'run', '--dry-run'])
    assert f'would delete {doomed} jobs' in dry.output and count_rows(Job) > doomed
    before = count_rows(Job)
    done = runner.invoke(args=['retention', 'run'])
    assert done.exit_code == 0, done.output
    assert f'Deleted {doomed} jobs and 0 processed items.' in done.output
    assert count_rows(Job) == before - doomed
    last = client.get(f'{API}/retention', headers=admin).get_json()['last_run']
    assert (last['via'], last['outcome']) == ('cli', 'completed')


def test_a_run_asked_with_respond_async_is_an_operation(client, admin, history):
    client.put(f'{API}/retention', headers=admin, json=RULES)
    doomed = sum(map(len, history.values()))
    before = count_rows(Job)
    response = client.post(f'{API}/retention/run', headers={**admin,
                                                            'Prefer': 'respond-async'})
    assert response.status_code == 202
    location = response.headers['Location']
    assert location == f"{API}/operations/{response.get_json()['data']['id']}"
    wait_for(lambda: client.get(location, headers=admin).get_json()['data']['state']
             == 'completed', 'the retention operation to complete')
    operation = client.get(location, headers=admin).get_json()['data']
    assert operation['action'] == 'retention.run'
    assert operation['rows_matched'] == {'jobs': doomed, 'processed_items': 0}
    assert operation['result'] == {'success': True, 'dry_run': False, 'jobs_deleted': doomed,
                                   'processed_items_deleted': 0}
    assert count_rows(Job) == before - doomed
    last = client.get(f'{API}/retention', headers=admin).get_json()['last_run']
    assert last['outcome'] == 'completed' and last['rows_deleted']['jobs'] == doomed
