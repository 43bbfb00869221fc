"""The OpenAPI document: served without auth, valid OpenAPI 3.1, and listing every route."""
import re

from openapi_spec_validator import validate
from support import API

from datamachine_jobs import API_PREFIX


def test_document_is_valid_and_lists_every_route(app, client):
    response = client.get(f'{API}/openapi.json')  # no credentials needed
    assert response.status_code == 200
    document = response.get_json()
    assert document['openapi'] == '3.1.0'
    validate(document)

    documented = {(path, method.upper()) for path, operations in document['paths'].items()
                  for method in operations}
    served = {(re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', rule.rule.removeprefix(API_PREFIX)), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)
              for method in rule.methods - {'HEAD', 'OPTIONS'}}
    assert documented == served


def test_parameters_come_from_the_schemas(client):
    document = client.get(f'{API}/openapi.json').get_json()
    listing = document['paths']['/jobs']['get']
    parameters = {p['name']: p for p in listing['parameters']}
    assert set(parameters) == {'pipeline_id', 'flow_id', 'status', 'started_after',
                               'started_before', 'completed_after', 'completed_before',
                               'orderby', 'order', 'per_page', 'offset', 'cursor', '_fields'}
    assert parameters['per_page']['schema'] == {'type': 'integer', 'default': 50,
                                                'minimum': 1, 'maximum': 100}
    assert parameters['orderby']['schema']['enum'] == ['job_id', 'flow_id', 'pipeline_id',
                                                       'status', 'started_at', 'completed_at']
    clear = document['paths']['/jobs']['delete']['requestBody']['content']['application/json']
    body = document['components']['schemas'][clear['schema']['$ref'].rsplit('/', 1)[1]]
    assert body['required'] == ['type'] and body['properties']['type']['enum'] == ['all',
                                                                                   'failed']
    assert {'401', '403', '429', '503'} <= set(listing['responses'])
    assert document['paths']['/openapi.json']['get']['security'] == []
