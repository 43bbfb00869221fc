"""The OpenAPI document: served without auth, valid OpenAPI 3.1, listing every route, and
spelling each parameter's rule as the route applies it (test_fuzz.py checks the rest against a
real server)."""
import re

import pytest
from documented import DOCS_PAGE
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from openapi_spec_validator import validate
from support import API, matches_pattern

from datamachine_jobs.schemas import headers
from datamachine_jobs.schemas.audit import AuditListArgs
from datamachine_jobs.schemas.jobs import ClearJobsArgs, JobListArgs
from datamachine_jobs.vocabulary import API_PREFIX


def api_rules(app):
    """The API's routes: all under its prefix but the live docs' page and files."""
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)
            and not rule.rule.startswith(DOCS_PAGE)]


def test_document_is_valid_and_lists_every_route(app, client):
    response = client.get(f'{API}/openapi.json')  # no credentials needed
    assert response.status_code == 200
    document = response.get_json()
    assert document['openapi'] == '3.1.0'
    validate(document)

    documented = {(path, method.upper()) for path, operations in document['paths'].items()
                  for method in operations}
    served = {(re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', rule.rule.removeprefix(API_PREFIX)), method)
              for rule in api_rules(app) for method in rule.methods - {'HEAD', 'OPTIONS'}}
    assert documented == served


def test_parameters_come_from_the_schemas(client):
    document = client.get(f'{API}/openapi.json').get_json()
    listing = document['paths']['/jobs']['get']
    parameters = {p['name']: p for p in listing['parameters']}
    assert set(parameters) == {'pipeline_id', 'flow_id', 'status', 'started_after',
                               'started_before', 'completed_after', 'completed_before',
                               'orderby', 'order', 'per_page', 'offset', 'cursor', '_fields',
                               'context', 'stuck', 'retry_of'}
    # An empty value counts as unset on a reading route.
    assert parameters['per_page']['schema'] == {'anyOf': [
        {'type': 'integer', 'minimum': 1, 'maximum': 100}, {'const': ''}], 'default': 50}
    assert parameters['orderby']['schema']['anyOf'][0]['enum'] == [
        'job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at']
    assert parameters['started_after']['schema']['anyOf'][0] == {'type': 'string',
                                                                  'format': 'date-time'}
    clear = document['paths']['/jobs']['delete']['requestBody']['content']['application/json']
    body = document['components']['schemas'][clear['schema']['$ref'].rsplit('/', 1)[1]]
    assert body['required'] == ['type'] and body['properties']['type']['enum'] == ['all',
                                                                                   'failed']
    assert {'401', '403', '429', '503'} <= set(listing['responses'])
    assert document['paths']['/openapi.json']['get']['security'] == []


def test_operations_are_named_after_their_views_and_keys_documented_where_honoured(app,
                                                                                    client):
    document = client.get(f'{API}/openapi.json').get_json()
    views = {(re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', rule.rule.removeprefix(API_PREFIX)),
              method.lower()): app.view_functions[rule.endpoint]
             for rule in api_rules(app) for method in rule.methods - {'HEAD', 'OPTIONS'}}
    for (path, method), view in views.items():
        operation = document['paths'][path][method]
        assert operation['operationId'] == view.__name__
        keyed = any(p['name'] == headers.IDEMPOTENCY_KEY for p in operation.get('parameters', []))
        assert keyed == getattr(view, 'honours_idempotency_key', False), (path, method)
        assert {'409', '422'} <= set(operation['responses']) or not keyed


def test_writing_bodies_refuse_unknown_keys(client):
    schemas = client.get(f'{API}/openapi.json').get_json()['components']['schemas']
    for name in ('CreateJobArgs', 'UpdateJobArgs', 'ClearJobsArgs', 'RecordItemArgs',
                 'RecordItemsArgs', 'ClearItemsArgs', 'BatchItem'):
        assert schemas[name]['additionalProperties'] is False, name
    assert 'patternProperties' not in schemas['BatchItem']  # no global keys inside a batch


def _loads(field, value):
    try:
        field.deserialize(value, 'name', {})
    except ValidationError:
        return False
    return True


# Pieces of text near each grammar: its words in several cases, separators, spaces of every
# kind, controls, and characters whose case mapping lands in ASCII (\u017f upper-cases to S).
PIECES = [' ', '  ', '\t', '\n', '\xa0', ',', '.', '-', ' - ', '"', '\x7f', '\u017f', '\u212a',
          'x', 'X' * 95, '0', '1', '01', 'j.', 'J.']
SPELT = {  # name: (field, its words)
    'status': (JobListArgs().fields['status'], ['failed', 'FAILED', 'completed', 'fail']),
    '_fields': (JobListArgs().fields['fields_'], ['job_id', 'status', 'JOB_ID', 'job']),
    'orderby': (JobListArgs().fields['orderby'], ['job_id', 'Flow_ID', 'status', 'job']),
    'order': (JobListArgs().fields['order'], ['asc', 'DESC', 'a', 'sc', 'de']),
    'cleanup_processed': (ClearJobsArgs().fields['cleanup_processed'],
                          ['true', 'FALSE', 'tru', 'e']),
    'action': (AuditListArgs().fields['action'], ['jobs.clear', 'JOBS.CLEAR', 'jobs']),
}


@pytest.mark.parametrize('name', SPELT)
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_documented_pattern_matches_exactly_what_its_field_loads(name, data):
    field, words = SPELT[name]
    value = ''.join(data.draw(st.lists(st.sampled_from(PIECES + words * 3), max_size=5)))
    schema = field.json_schema() if hasattr(field, 'json_schema') else {
        'type': 'string', 'enum': list(field.validators[0].choices)}
    branches = schema.get('anyOf', [schema])
    documented = any(matches_pattern(b['pattern'], value) if 'pattern' in b else
                     value in b.get('enum', ()) for b in branches if b.get('type') == 'string')
    assert documented == _loads(field, value), value


def test_the_clears_document_respond_async_and_the_operations_their_answers(client):
    document = client.get(f'{API}/openapi.json').get_json()
    for path in ('/jobs', '/processed-items'):
        clear = document['paths'][path]['delete']
        prefer = [p for p in clear['parameters'] if p['name'] == headers.PREFER]
        assert [p['example'] for p in prefer] == [headers.RESPOND_ASYNC]
        accepted = clear['responses']['202']
        assert {'Location', 'Preference-Applied'} <= set(accepted['headers'])
        assert set(accepted['links']) == {'GetOperation', 'CancelOperation'}
    operation = document['paths']['/operations/{operation_id}']
    assert set(operation['get']['responses']) >= {'200', '404'}
    assert set(operation['delete']['responses']) >= {'200', '202', '404', '409'}
    assert 'X-WP-Total' in document['paths']['/operations']['get']['responses']['200'][
        'headers']
