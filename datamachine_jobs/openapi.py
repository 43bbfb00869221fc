"""The OpenAPI 3.1 document of the whole API, generated from the marshmallow schemas.

It says exactly what each route takes and answers: the suite runs schemathesis against a real
server and fails on any difference (tests/test_fuzz.py).
"""
import json
import os
import re
from dataclasses import dataclass, field
from importlib.metadata import version

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .schemas import headers, responses
from .schemas.audit import AuditListArgs
from .schemas.fields import GLOBAL_PARAMS
from .schemas.flows import FlowHealthArgs
from .schemas.jobs import (
    ClearJobsArgs,
    CreateJobArgs,
    DeleteJobArgs,
    ExportArgs,
    HeartbeatArgs,
    JobArgs,
    JobListArgs,
    RecoverStuckArgs,
    RetryJobArgs,
    SummaryArgs,
    UpdateJobArgs,
)
from .schemas.operations import OperationListArgs
from .schemas.processed_items import (
    BatchItem,
    CheckItemArgs,
    ClearItemsArgs,
    ItemListArgs,
    RecordItemArgs,
    RecordItemsArgs,
)
from .schemas.retention import RetentionRulesArgs, RetentionRunArgs
from .schemas.session import SignInArgs
from .vocabulary import API_PREFIX, NONCE_HEADER, SESSION_COOKIE

# Answers recorded from a real run (tests/test_openapi_examples.py keeps them true):
# {operationId: {status: {example name: body}}}.
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'openapi_examples.json')

# Werkzeug's int converter: digits only; ids too large to store name nothing (404).
JOB_ID = {'in': 'path', 'name': 'job_id', 'required': True,
          'schema': {'type': 'integer', 'minimum': 0}}
ITEM_ID = {'in': 'path', 'name': 'item_id', 'required': True,
           'schema': {'type': 'integer', 'minimum': 0}}
OPERATION_ID = {'in': 'path', 'name': 'operation_id', 'required': True,
                'schema': {'type': 'integer', 'minimum': 0}}
PREFER = {
    'in': 'header', 'name': headers.PREFER, 'required': False,
    'description': f'`{headers.RESPOND_ASYNC}` (RFC 7240): answer 202 at once with the queued '
                   'operation, and clear in the background (not for a dry run). Other '
                   'preferences are ignored.',
    'schema': {'type': 'string'}, 'example': headers.RESPOND_ASYNC}
IDEMPOTENCY_KEY = {
    'in': 'header', 'name': headers.IDEMPOTENCY_KEY, 'required': False,
    'description': 'Makes a repeat of this request (same method, path and parameters) answer '
                   'what the first answered without doing it again; with other parameters, '
                   '422; while the first still runs, 409. Quotes around the key are not part '
                   'of it. Keys are per user and expire (DATAMACHINE_IDEMPOTENCY_TTL).',
    'schema': {'type': 'string', 'pattern': headers.KEY_PATTERN}}
# WordPress's global parameters are accepted, and ignored, in every writing route's body.
GLOBAL_KEYS = {'^(?:' + '|'.join(sorted(map(re.escape, GLOBAL_PARAMS))) + ')$': {}}

COUNT = {'schema': {'type': 'integer', 'minimum': 0}}
PAGE_HEADERS = {'X-WP-Total': {'description': 'Rows matching the filters.', 'required': True,
                               **COUNT},
                'X-WP-TotalPages': {'description': 'Pages of per_page rows.', 'required': True,
                                    **COUNT}}
REPLAYED = {headers.REPLAYED: {'description': '`true` when this answers a repeat of an earlier '
                                              'request with the same Idempotency-Key.',
                               'schema': {'const': 'true'}}}
RETRY_AFTER = {'description': 'Seconds to wait before trying again.', **COUNT}


def _bodies():
    """Every request body's schema, in the order the operations name them."""
    found = []
    for methods in OPERATIONS.values():
        for operation in methods.values():
            body = operation.body
            for schema in body.get('oneOf', []) if isinstance(body, dict) else [body]:
                if schema is not None and schema not in found:
                    found.append(schema)
    return found


def _links(target, **parameters):
    return {'operationId': target, 'parameters': parameters}


OPERATION_LINKS = {
    'GetOperation': _links('get_operation', operation_id='$response.body#/data/id'),
    'CancelOperation': _links('cancel_operation', operation_id='$response.body#/data/id')}
# The answer of a clear queued by `Prefer: respond-async`.
QUEUED = {
    'Location': {'description': 'The operation, to follow until it ends.', 'required': True,
                 'schema': {'type': 'string', 'format': 'uri-reference'}},
    headers.PREFERENCE_APPLIED: {'description': 'The preference this answer honours.',
                                 'required': True,
                                 'schema': {'const': headers.RESPOND_ASYNC}},
    **REPLAYED}
JOB_LINKS = {name: _links(target, job_id='$response.body#/data/job_id') for name, target in (
    ('GetJob', 'get_job'), ('UpdateJob', 'update_job'), ('RecordItems', 'record_items'),
    ('Heartbeat', 'heartbeat'), ('RetryJob', 'retry_job'), ('DeleteJob', 'delete_job'))}


# Every route for administrators may answer these; a route that reads a body, 413 too.
ERRORS = {'400': 'Error', '401': 'NotLoggedIn', '403': 'Error', '429': 'Throttled',
          '503': 'Unavailable'}


@dataclass(frozen=True)
class Operation:
    """One operation: its id (the view's name), what it takes and what it answers."""

    operation_id: str
    summary: str
    query: type | None = None
    body: type | dict | None = None
    # status -> answer schema, or None for an error in the envelope
    answers: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)  # status -> answer headers
    links: dict = field(default_factory=dict)  # status -> links to other operations
    # status -> the answer's media types and schemas, when it is not JSON
    content: dict = field(default_factory=dict)
    body_required: bool = True  # False when every key of the body is optional
    # Who may call it (None: an administrator, by Basic auth or session) and the errors it may
    # answer besides those of `answers`.
    security: list | None = None
    errors: dict = field(default_factory=lambda: ERRORS)


OPERATIONS = {
    '/jobs': {
        'get': Operation(
            'list_jobs', 'List jobs: filters, sorting, offset or cursor pages, exact totals.',
            JobListArgs, answers={200: responses.JobList},
            headers={200: {**PAGE_HEADERS, 'Link': {
                'description': 'The next page, `<url>; rel="next"`, unless this is the last.',
                'schema': {'type': 'string'}}}}),
        'post': Operation(
            'create_job', 'Record a new pending job.', body=CreateJobArgs,
            answers={201: responses.OneJob},
            headers={201: {'Location': {'description': 'The new job.', 'required': True,
                                        'schema': {'type': 'string', 'format': 'uri-reference'}},
                           **REPLAYED}},
            links={201: JOB_LINKS}),
        'delete': Operation(
            'clear_jobs', 'Clear all or the failed jobs, optionally by age and scope; dry_run '
            'previews it.', body=ClearJobsArgs,
            answers={200: {'oneOf': [responses.Cleared, responses.ClearPreview]},
                     202: responses.OneOperation},
            headers={200: REPLAYED, 202: QUEUED}, links={202: OPERATION_LINKS}),
    },
    '/jobs/export': {
        'get': Operation(
            'export_jobs', 'Every job matching the list filters, by job_id, streamed in '
            'constant memory (a keyset walk): NDJSON, one job object per line, or CSV with a '
            'header row. Content-Disposition names a file.', ExportArgs,
            answers={200: {'type': 'string'}},
            headers={200: {'Content-Disposition': {
                'description': '`attachment; filename="jobs-<UTC time>.<format>"`',
                'required': True, 'schema': {'type': 'string'}}}},
            content={200: {'application/x-ndjson': {'schema': {'type': 'string'}},
                           'text/csv': {'schema': {'type': 'string'}}}}),
    },
    '/jobs/summary': {
        'get': Operation(
            'summarize_jobs', 'Counts by base status, success rate and durations, optionally '
            'per group. Counts, success rate, avg and max are exact; p50 and p95 are within 1% '
            'of the exact percentile (exact below 100 seconds).', SummaryArgs,
            answers={200: responses.Summary}),
    },
    '/jobs/{job_id}': {
        'get': Operation('get_job', 'One job.', JobArgs,
                         answers={200: responses.OneJob, 404: None}),
        'delete': Operation(
            'delete_job', 'Delete one job, and its processed items with cleanup_processed. '
            'Audited.', body=DeleteJobArgs, body_required=False,
            answers={200: responses.JobDeleted, 404: None}),
        'patch': Operation(
            'update_job', 'Move a job along its lifecycle (one winner among concurrent moves).',
            body=UpdateJobArgs, answers={200: responses.OneJob, 404: None, 409: None},
            headers={200: REPLAYED}),
    },
    '/jobs/{job_id}/retry': {
        'post': Operation(
            'retry_job', 'Record a new pending job for the same pipeline and flow, linked by '
            'retry_of to the one it retries (which stays as history); only a finished job '
            'unless force.', body=RetryJobArgs, body_required=False,
            answers={201: responses.OneJob, 404: None, 409: None},
            headers={201: {'Location': {'description': 'The new job.', 'required': True,
                                        'schema': {'type': 'string', 'format': 'uri-reference'}},
                           **REPLAYED}},
            links={201: JOB_LINKS}),
    },
    '/jobs/{job_id}/heartbeat': {
        'post': Operation(
            'heartbeat', "Renew the lease of a processing job held by this application "
            "password and runner (a job claimed without a lease is adopted); 409 when the job "
            "is no longer processing or another runner holds it.", body=HeartbeatArgs,
            body_required=False,
            answers={200: responses.OneJob, 404: None, 409: None}),
    },
    '/jobs/recover-stuck': {
        'post': Operation(
            'recover_stuck', 'Fail or requeue the jobs stuck now (processing with no heartbeat '
            'for the timeout, pending for the pending timeout), oldest first, exactly those '
            'still stuck when they change; dry_run lists them. Audited.', body=RecoverStuckArgs,
            answers={200: {'oneOf': [responses.Recovered, responses.RecoverPreview]}},
            headers={200: REPLAYED}),
    },
    '/jobs/{job_id}/processed-items': {
        'post': Operation(
            'record_items', 'Record one processed item, or a batch of up to 1000 as '
            '{"items": [...]}.', body={'oneOf': [RecordItemArgs, RecordItemsArgs]},
            answers={201: responses.OneItem, 200: responses.ItemBatch, 404: None, 409: None},
            headers={201: REPLAYED, 200: REPLAYED},
            links={201: {'DeleteItem': _links('delete_item',
                                              item_id='$response.body#/data/id')}}),
    },
    '/processed-items': {
        'get': Operation(
            'list_items', 'List deduplication records, newest first.', ItemListArgs,
            answers={200: responses.ItemList}, headers={200: PAGE_HEADERS}),
        'delete': Operation(
            'clear_items', 'Delete every record of a pipeline or a flow.', body=ClearItemsArgs,
            answers={200: responses.ItemsCleared, 202: responses.OneOperation},
            headers={200: REPLAYED, 202: QUEUED}, links={202: OPERATION_LINKS}),
    },
    '/processed-items/check': {
        'get': Operation(
            'check_item', 'Was this item processed by this flow step? One index lookup.',
            CheckItemArgs, answers={200: responses.ItemCheck}),
    },
    '/flows/health': {
        'get': Operation(
            'flow_health', 'Which flows are failing: per flow, runs, failures and success rate '
            'in the window (by completion time; cancelled jobs are not runs), failures since '
            'its last success, its last success and failure, its newest error. Exact.',
            FlowHealthArgs, answers={200: responses.FlowHealthList}),
    },
    '/retention': {
        'get': Operation(
            'show_retention', 'The retention rules (ages in seconds) and the last run\'s audit '
            'record.', answers={200: responses.RetentionShown}),
        'put': Operation(
            'replace_retention', 'Replace every retention rule at once (a rule left out is '
            'removed). Pending and processing jobs are never deleted by retention.',
            body=RetentionRulesArgs, answers={200: responses.RetentionRulesAnswer}),
    },
    '/retention/preview': {
        'get': Operation('preview_retention', 'What a retention run would delete now, by rule, '
                         'exact.', answers={200: responses.RetentionPreview}),
    },
    '/retention/run': {
        'post': Operation(
            'run_retention', 'Apply the retention rules now, bounded by the ids there are when '
            'it begins; dry_run previews. Audited with the rows per rule.',
            body=RetentionRunArgs, body_required=False,
            answers={200: {'oneOf': [responses.RetentionRun, responses.RetentionPreview]},
                     202: responses.OneOperation},
            headers={200: REPLAYED, 202: QUEUED}, links={202: OPERATION_LINKS}),
    },
    '/audit': {
        'get': Operation(
            'list_audit', 'Audit records of destructive calls (who, from where, what, rows '
            'deleted), newest first.', AuditListArgs, answers={200: responses.AuditList},
            headers={200: PAGE_HEADERS}),
    },
    '/operations': {
        'get': Operation(
            'list_operations', 'Clears asked with Prefer: respond-async, newest first.',
            OperationListArgs, answers={200: responses.OperationList},
            headers={200: PAGE_HEADERS}),
    },
    '/operations/{operation_id}': {
        'get': Operation(
            'get_operation', 'One operation: where it stands, and its result once completed.',
            answers={200: responses.OneOperation, 404: None}),
        'delete': Operation(
            'cancel_operation', 'Cancel an operation: a queued one at once (200), a running one '
            'after its current batch (202); what it deleted stays deleted.',
            answers={200: responses.OneOperation, 202: responses.OneOperation, 404: None,
                     409: None}),
    },
    '/processed-items/{item_id}': {
        'delete': Operation('delete_item', 'Delete one deduplication record.',
                            answers={200: responses.ItemDeleted, 404: None}),
    },
    '/session': {
        'post': Operation(
            'sign_in', "Sign in to the dashboard with an application password: answers a nonce "
            "and sets the session cookie (HttpOnly, SameSite=Strict).", body=SignInArgs,
            answers={200: responses.SignedIn}, security=[],
            errors={'400': 'Error', '401': 'Error', '429': 'Throttled', '503': 'Unavailable'}),
        'get': Operation(
            'current_session', 'The signed-in user and a fresh nonce (the cookie alone).',
            answers={200: responses.SignedIn}, security=[{'sessionCookie': []}],
            errors={'401': 'Error', '503': 'Unavailable'}),
        'delete': Operation(
            'sign_out', 'Sign out: the session ends and the cookie is cleared.',
            answers={200: responses.SignedOut}, security=[{'sessionCookie': [], 'nonce': []}],
            errors={'400': 'Error', '401': 'Error', '403': 'Error', '503': 'Unavailable'}),
    },
}

# The routes that honour the Idempotency-Key header: they may also answer 409 (the first
# request with the key still runs) and 422 (the key was used with other parameters).
IDEMPOTENT = {('/jobs', 'post'), ('/jobs', 'delete'), ('/jobs/{job_id}', 'patch'),
              ('/jobs/recover-stuck', 'post'), ('/jobs/{job_id}/retry', 'post'),
              ('/retention/run', 'post'),
              ('/jobs/{job_id}/processed-items', 'post'), ('/processed-items', 'delete')}
# The routes that honour `Prefer: respond-async`.
RESPOND_ASYNC = {('/jobs', 'delete'), ('/processed-items', 'delete'), ('/retention/run', 'post')}
ERROR_RESPONSES = {
    'Error': ('An error, in the one envelope.', {}),
    'NotLoggedIn': ('No credentials, or wrong ones.', {'WWW-Authenticate': {
        'description': 'The Basic challenge, unless the request carried the session cookie or '
                       'X-WP-Nonce (a browser would open its own login dialog).',
        'schema': {'type': 'string'}}}),
    'Throttled': ('Too many failed authentications of this login from this address.',
                  {'Retry-After': {'required': True, **RETRY_AFTER}}),
    'Unavailable': ('The database is unavailable; the service recovers by itself.',
                    {'Retry-After': {'required': True, **RETRY_AFTER}}),
    'Conflict': ('A conflict with the current state; with Retry-After, the request with this '
                 'Idempotency-Key is still running.', {'Retry-After': RETRY_AFTER}),
}


def _content(schema):
    if isinstance(schema, dict):  # oneOf: reference each schema by its component name
        return {'schema': {'oneOf': [s.__name__ for s in schema['oneOf']]}}
    return {'schema': schema}


def _query_parameters(converter, schema):
    """One parameter per field. On reading routes an empty value counts as unset, so each
    optional parameter also takes ''."""
    parameters = converter.schema2parameters(schema, location='query')
    for parameter in parameters:
        if parameter['required']:
            continue
        inner = parameter['schema']
        outer = {key: inner.pop(key) for key in ('default',) if key in inner}
        branches = inner['anyOf'] if list(inner) == ['anyOf'] else [inner]
        parameter['schema'] = {'anyOf': [*branches, {'const': ''}], **outer}
    return parameters


def _operation(converter, path, method, operation, examples):
    responses = {}
    for status, schema in operation.answers.items():
        if schema is None:
            responses[str(status)] = 'Conflict' if status == 409 else 'Error'
            continue
        response = {'description': 'Success.', 'content': operation.content.get(status) or {
            'application/json': _content(schema)}}
        recorded = examples.get(operation.operation_id, {}).get(str(status))
        if recorded:
            response['content']['application/json']['examples'] = {
                name: {'value': body} for name, body in recorded.items()}
        if operation.headers.get(status):
            response['headers'] = operation.headers[status]
        if operation.links.get(status):
            response['links'] = operation.links[status]
        responses[str(status)] = response
    responses.update(operation.errors)
    parameters = []
    if '{job_id}' in path:
        parameters.append(JOB_ID)
    if '{item_id}' in path:
        parameters.append(ITEM_ID)
    if '{operation_id}' in path:
        parameters.append(OPERATION_ID)
    if operation.query:
        parameters += _query_parameters(converter, operation.query)
    if method != 'get':
        responses['413'] = 'Error'
    if (path, method) in RESPOND_ASYNC:
        parameters.append(PREFER)
    if (path, method) in IDEMPOTENT:
        parameters.append(IDEMPOTENCY_KEY)
        responses.update({'409': 'Conflict', '422': 'Error'})
    document = {'operationId': operation.operation_id, 'summary': operation.summary,
                'responses': dict(sorted(responses.items())), 'parameters': parameters}
    if operation.security is not None:
        document['security'] = operation.security
    if operation.body:
        document['requestBody'] = {'required': operation.body_required,
                                   'content': {'application/json': _content(operation.body)}}
    return document


def accepted_spelling(converter, field, **kwargs):
    """The fields that parse their own spellings (times, ages, lists, ...) describe them."""
    return field.json_schema() if hasattr(field, 'json_schema') else {}


def build():
    """The document as a dict."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title='datamachine-jobs', version=version('datamachine-jobs'), openapi_version='3.1.0',
        plugins=[plugin], servers=[{'url': API_PREFIX}],
        security=[{'basicAuth': []}, {'sessionCookie': [], 'nonce': []}],
        info={'license': {'name': 'GPL-2.0-or-later', 'identifier': 'GPL-2.0-or-later'},
              'description': 'Monitor and clean up workflow executions (jobs). The jobs, '
                             'processed-items, audit and operations routes need an '
                             'administrator: HTTP '
                             'Basic auth with an application password, or the dashboard\'s '
                             'session cookie (POST /session) with its nonce in X-WP-Nonce. On '
                             'reading routes unknown query parameters are ignored and an empty '
                             'one counts as unset; writing routes refuse unknown keys.'})
    plugin.converter.add_attribute_function(accepted_spelling)
    spec.components.security_scheme('basicAuth', {'type': 'http', 'scheme': 'basic'})
    spec.components.security_scheme('sessionCookie', {
        'type': 'apiKey', 'in': 'cookie', 'name': SESSION_COOKIE})
    spec.components.security_scheme('nonce', {'type': 'apiKey', 'in': 'header',
                                              'name': NONCE_HEADER})
    for name, (description, error_headers) in ERROR_RESPONSES.items():
        response = {'description': description,
                    'content': {'application/json': {'schema': responses.Error}}}
        spec.components.response(name, {**response, 'headers': error_headers}
                                  if error_headers else response)
    # Writing routes refuse unknown keys; a batch's records do not take the global ones either.
    spec.components.schema('BatchItem', {'additionalProperties': False}, schema=BatchItem)
    for schema in _bodies():
        spec.components.schema(schema.__name__, {'additionalProperties': False,
                                                 'patternProperties': GLOBAL_KEYS},
                               schema=schema)
    for schema in (responses.Cleared, responses.ClearPreview, responses.OneItem,
                   responses.ItemBatch, responses.OneOperation):
        spec.components.schema(schema.__name__, schema=schema)
    with open(EXAMPLES) as fh:
        examples = json.load(fh)
    for path, methods in OPERATIONS.items():
        spec.path(path=path, operations={
            method: _operation(plugin.converter, path, method, operation, examples)
            for method, operation in methods.items()})
    spec.path(path='/openapi.json', operations={'get': {
        'operationId': 'openapi_document', 'summary': 'This document (no authentication).',
        'security': [],
        'responses': {'200': {'description': 'The OpenAPI document.', 'content': {
            'application/json': {'schema': {'type': 'object'}}}}}}})
    document = spec.to_dict()
    _require_present_keys(document['components']['schemas'])
    return document


def _require_present_keys(components):
    """List as required every key of an answer but those its schema says only some answers
    give, so that generated clients type them as always there."""
    pending = [responses.Answer]
    while pending:
        schema = pending.pop()
        pending.extend(schema.__subclasses__())
        component = components.get(schema.__name__)
        present = [name for name in (component or {}).get('properties', ())
                   if name not in schema.SOMETIMES]
        if present:
            component['required'] = present
