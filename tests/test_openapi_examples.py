"""The OpenAPI document's examples are real answers: this test makes them again, on a fresh
database with the same jobs, and compares them with datamachine_jobs/openapi_examples.json
(`make openapi-examples` writes the file from this run instead). Times are moved as a whole so
that the run starts at RECORDED_AT, and cut to the minute, which keeps them equal from run to
run and their differences (the durations) real."""
import json
import os
import re
from datetime import UTC, datetime, timedelta

from support import API, basic, close_pool, create_account, insert_job, make_app

from datamachine_jobs import db, openapi
from datamachine_jobs.models import ProcessedItem

RECORDED_AT = datetime(2026, 11, 30, 9, 0)
TIME = re.compile(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d')
# (operationId, status, example name, method, path, body), run in this order.
SCENARIO = [
    ('list_jobs', 200, 'a page', 'GET', '/jobs?pipeline_id=5&per_page=3', None),
    ('get_job', 200, 'with context=edit', 'GET', '/jobs/2?context=edit', None),
    ('summarize_jobs', 200, 'per flow', 'GET', '/jobs/summary?pipeline_id=5&group_by=flow_id',
     None),
    ('flow_health', 200, 'the last 24 hours', 'GET', '/flows/health', None),
    ('create_job', 201, 'recorded', 'POST', '/jobs', {'pipeline_id': 5, 'flow_id': 42}),
    ('update_job', 200, 'claimed', 'PATCH', '/jobs/7', {'status': 'processing',
                                                        'runner': 'worker-3'}),
    ('retry_job', 201, 'a retry', 'POST', '/jobs/3/retry', {}),
    ('check_item', 200, 'processed', 'GET', '/processed-items/check?flow_step_id=abc-123_42'
     '&source_type=rss&item_identifier=https://example.com/feed/42/0', None),
    ('recover_stuck', 200, 'dry run', 'POST', '/jobs/recover-stuck',
     {'action': 'fail', 'timeout': '1h', 'dry_run': True}),
    ('clear_jobs', 200, 'dry run', 'DELETE', '/jobs',
     {'type': 'failed', 'cleanup_processed': True, 'dry_run': True}),
    ('clear_jobs', 200, 'cleared', 'DELETE', '/jobs', {'type': 'failed',
                                                       'cleanup_processed': True}),
]


def test_the_documents_examples_are_real_answers(tmp_path):
    recorded = record(tmp_path)
    if os.environ.get('DATAMACHINE_WRITE_EXAMPLES'):
        with open(openapi.EXAMPLES, 'w') as fh:
            json.dump(recorded, fh, indent=2)
            fh.write('\n')
    with open(openapi.EXAMPLES) as fh:
        assert json.load(fh) == recorded, 'run `make openapi-examples` and commit the file'


def record(tmp_path):
    app = make_app(f'sqlite:///{tmp_path}/examples.db')
    try:
        with app.app_context(), db.database.connection_context():
            db.migration_runner().up()
        headers = basic('ops', create_account(app, 'ops', 'administrator'))
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        add_jobs(start)
        client, recorded = app.test_client(), {}
        for operation, status, name, method, path, body in SCENARIO:
            answer = client.open(API + path, method=method, headers=headers, json=body)
            assert answer.status_code == status, (path, answer.get_json())
            recorded.setdefault(operation, {}).setdefault(str(status), {})[name] = moved(
                answer.get_json(), RECORDED_AT - start)
        return recorded
    finally:
        close_pool(app)


def add_jobs(start):
    """Pipeline 5: flow 42 runs well, flow 43 failed its last two runs; one job of flow 42
    is processing and has said nothing for two hours."""
    def at(minutes):
        return (start - timedelta(minutes=minutes)).strftime('%Y-%m-%d %H:%M:%S')
    for flow_id, status, began, took, error in (
            (42, 'completed', 300, 4, None), (43, 'completed', 290, 2, None),
            (43, 'failed', 200, 1, 'Feed answered 500'), (42, 'completed_no_items', 120, 1, None),
            (43, 'failed', 60, 1, 'Feed answered 500')):
        job_id = insert_job(status, pipeline_id=5, flow_id=flow_id, started_at=at(began),
                            completed_at=at(began - took), error_message=error)
        if status == 'completed':
            with db.database.connection_context():
                for n in range(2):
                    ProcessedItem.insert(
                        flow_step_id=f'abc-123_{flow_id}', source_type='rss', job_id=job_id,
                        item_identifier=f'https://example.com/feed/{flow_id}/{n}',
                        flow_id=flow_id, pipeline_id=5).execute()
    insert_job('processing', pipeline_id=5, flow_id=42, started_at=at(130))


def moved(value, shift):
    """The answer with every time in it moved by `shift` and cut to the minute."""
    text = TIME.sub(lambda found: (datetime.fromisoformat(found.group()) + shift).strftime(
        '%Y-%m-%d %H:%M:00'), json.dumps(value))
    return json.loads(text)
