"""GET /flows/health: per flow, runs and failures in the window, failures since the last success,
the last success and failure, the newest error; `problems=true` keeps the failing flows."""
from datetime import UTC, datetime, timedelta

import pytest
from support import API, insert_job


def hours_ago(hours):
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime('%Y-%m-%d %H:%M:%S')


def run(status, flow_id, pipeline_id, hours, error=None):
    return insert_job(status, flow_id=flow_id, pipeline_id=pipeline_id,
                      started_at=hours_ago(hours + 0.1), completed_at=hours_ago(hours),
                      error_message=error)


def near(text, hours):
    """True when the stored time `text` is `hours` ago, give or take a minute."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return abs(moment - (datetime.now(UTC) - timedelta(hours=hours))) < timedelta(minutes=1)


@pytest.fixture
def flows(app):
    run('completed', 1, 1, 20)
    run('completed', 1, 1, 10)
    run('failed', 1, 1, 5, 'a')
    run('failed - timeout', 1, 1, 4, 'b')
    run('cancelled', 1, 1, 3)  # neither success nor failure: not a run, breaks no streak
    run('failed', 1, 1, 2, 'c')
    insert_job('processing', flow_id=1, pipeline_id=1)
    run('failed', 2, 1, 8, 'old')
    run('completed_no_items', 2, 1, 1)
    run('agent_skipped', 3, 2, 72)
    run('failed', 3, 2, 48, 'two days ago')


def test_flow_health_in_the_default_day(client, admin, flows):
    response = client.get(f'{API}/flows/health', headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body['total'] == 2 and body['since'] <= hours_ago(24)
    first, second = body['data']
    assert near(first['last_success_at'], 10) and near(first['last_failure_at'], 2)
    assert {k: v for k, v in first.items() if k not in ('last_success_at', 'last_failure_at')} \
        == {'flow_id': 1, 'pipeline_id': 1, 'runs': 5, 'failures': 3, 'success_rate': 0.4,
            'consecutive_failures': 3, 'last_error': 'c'}
    assert {k: second[k] for k in ('flow_id', 'runs', 'failures', 'success_rate',
                                   'consecutive_failures', 'last_error')} == {
        'flow_id': 2, 'runs': 2, 'failures': 1, 'success_rate': 0.5, 'consecutive_failures': 0,
        'last_error': 'old'}


def test_a_wider_window_and_a_pipeline(client, admin, flows):
    week = client.get(f'{API}/flows/health?window=7d&pipeline_id=2', headers=admin).get_json()
    [flow] = week['data']
    assert (flow['flow_id'], flow['runs'], flow['failures'], flow['consecutive_failures'],
            flow['last_error']) == (3, 2, 1, 1, 'two days ago')
    assert client.get(f'{API}/flows/health?window=3600', headers=admin).get_json()['total'] == 1


def test_problem_flows(client, admin, flows):
    default = client.get(f'{API}/flows/health?problems=true', headers=admin).get_json()
    assert [flow['flow_id'] for flow in default['data']] == [1]
    strict = client.get(f'{API}/flows/health?problems=1&min_consecutive_failures=1&'
                        'min_success_rate=0.6&window=7d', headers=admin).get_json()
    assert [flow['flow_id'] for flow in strict['data']] == [1, 2, 3]


@pytest.mark.parametrize('query, param', [
    ('window=0', 'window'), ('window=1w', 'window'), ('min_success_rate=2', 'min_success_rate'),
    ('min_success_rate=x', 'min_success_rate'),
    ('min_consecutive_failures=0', 'min_consecutive_failures'), ('problems=maybe', 'problems'),
    ('pipeline_id=0', 'pipeline_id'),
])
def test_bad_parameters_are_named(client, admin, query, param):
    response = client.get(f'{API}/flows/health?{query}', headers=admin)
    assert response.status_code == 400
    assert list(response.get_json()['data']['params']) == [param]


def test_no_flows_ran(client, admin):
    body = client.get(f'{API}/flows/health', headers=admin).get_json()
    assert (body['success'], body['data'], body['total']) == (True, [], 0)
