"""Cross-origin access for the origins an operator names (DATAMACHINE_CORS_ORIGINS), and the
JSON answer to OPTIONS on any route, as WordPress gives: the route's methods and, per method,
the arguments it takes (from the OpenAPI document, so the two never differ)."""
import re

from flask import request

from .api.docs import cached_document
from .config import settings
from .schemas.headers import IDEMPOTENCY_KEY, PREFER, PREFERENCE_APPLIED, REPLAYED
from .vocabulary import API_PREFIX, NONCE_HEADER

NAMESPACE = API_PREFIX.removeprefix('/wp-json/')
ALLOWED_HEADERS = ', '.join(('Authorization', 'Content-Type', 'If-None-Match', IDEMPOTENCY_KEY,
                             PREFER, 'X-Request-ID', NONCE_HEADER))
EXPOSED_HEADERS = ', '.join(('X-WP-Total', 'X-WP-TotalPages', 'Link', 'ETag', 'Location',
                             'Retry-After', 'X-Request-ID', REPLAYED, PREFERENCE_APPLIED))
PREFLIGHT_MAX_AGE = '600'
SHOWN_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')  # not HEAD and OPTIONS
RULE_VARIABLE = re.compile(r'<(?:[^:>]+:)?([^>]+)>')


def init_app(app):
    app.after_request(_cross_origin)


def _cross_origin(response):
    """Let a named origin read the answer (and send credentials); every answer says it varies
    with Origin once any origin is named, so that no cache hands one origin's answer to
    another."""
    origins = settings().cors_origins
    if not origins:
        return response
    response.vary.add('Origin')
    origin = request.headers.get('Origin')
    if origin is None or not ('*' in origins or origin in origins):
        return response
    headers = response.headers
    if origin in origins:
        headers['Access-Control-Allow-Origin'] = origin
        headers['Access-Control-Allow-Credentials'] = 'true'
    else:  # any origin: never with credentials
        headers['Access-Control-Allow-Origin'] = '*'
    if request.method == 'OPTIONS' and 'Access-Control-Request-Method' in request.headers:
        headers['Access-Control-Allow-Methods'] = ', '.join(_methods(response))
        headers['Access-Control-Allow-Headers'] = ALLOWED_HEADERS
        headers['Access-Control-Max-Age'] = PREFLIGHT_MAX_AGE
    else:
        headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS
    return response


def _methods(response):
    return [method for method in SHOWN_METHODS if method in response.allow]


def options_answer(rule_methods):
    """The body of OPTIONS on the matched route: {namespace, methods, endpoints: [{methods,
    args}]}; each argument as the OpenAPI document describes it, with `required`."""
    rule = request.url_rule.rule
    methods = [method for method in SHOWN_METHODS if method in rule_methods]
    path = RULE_VARIABLE.sub(r'{\1}', rule.removeprefix(API_PREFIX))
    document = cached_document()
    described = document['paths'].get(path, {}) if rule.startswith(API_PREFIX) else {}
    body = {'namespace': NAMESPACE} if rule.startswith(API_PREFIX) else {}
    body.update(methods=methods, endpoints=[
        {'methods': [method], 'args': _arguments(document, described.get(method.lower(), {}))}
        for method in methods])
    return body


def _arguments(document, operation):
    args = {}
    for parameter in operation.get('parameters', ()):
        if parameter['in'] in ('query', 'path'):
            args[parameter['name']] = _argument(parameter.get('schema', {}), parameter)
    content = operation.get('requestBody', {}).get('content', {}).get('application/json')
    for schema in _body_schemas(document, content['schema'] if content else None):
        required = schema.get('required', ())
        for name, prop in schema.get('properties', {}).items():
            args[name] = _argument(prop, {'required': name in required})
    return args


def _argument(schema, parameter):
    argument = {key: value for key, value in schema.items() if key != 'anyOf'}
    branches = [b for b in schema.get('anyOf', ()) if b != {'const': ''}]
    if len(branches) == 1:
        argument.update(branches[0])
    elif branches:
        argument['anyOf'] = branches
    if parameter.get('description'):
        argument.setdefault('description', parameter['description'])
    argument['required'] = bool(parameter.get('required'))
    return argument


def _body_schemas(document, schema):
    """The object schemas a request body may be (the branches of a oneOf), references
    resolved."""
    if schema is None:
        return []
    if '$ref' in schema:
        return _body_schemas(document, document['components']['schemas'][
            schema['$ref'].rsplit('/', 1)[1]])
    if 'oneOf' in schema:
        return [s for branch in schema['oneOf'] for s in _body_schemas(document, branch)]
    return [schema]
