"""The OpenAPI 3.1 document of the whole API, generated from the marshmallow schemas."""
from importlib.metadata import version

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from . import API_PREFIX
from .schemas import answers
from .schemas.audit import AuditListArgs
from .schemas.fields import Age, CommaList, FlexibleBoolean, Timestamp
from .schemas.jobs import (
    ClearJobsArgs,
    CreateJobArgs,
    JobArgs,
    JobListArgs,
    SummaryArgs,
    UpdateJobArgs,
)
from .schemas.processed_items import (
    CheckItemArgs,
    ClearItemsArgs,
    ItemListArgs,
    RecordItemArgs,
    RecordItemsArgs,
)

JOB_ID = {'in': 'path', 'name': 'job_id', 'required': True, 'schema': {'type': 'integer'}}
ITEM_ID = {'in': 'path', 'name': 'item_id', 'required': True, 'schema': {'type': 'integer'}}

# path -> method -> (summary, query schema, body schema, {status: answer schema})
OPERATIONS = {
    '/jobs': {
        'get': ('List jobs: filters, sorting, offset or cursor pages, exact totals.',
                JobListArgs, None, {200: answers.JobList}),
        'post': ('Record a new pending job.', None, CreateJobArgs, {201: answers.OneJob}),
        'delete': ('Clear all or the failed jobs, optionally by age and scope; dry_run '
                   'previews it.', None, ClearJobsArgs,
                   {200: {'oneOf': [answers.Cleared, answers.ClearPreview]}}),
    },
    '/jobs/summary': {
        'get': ('Counts by base status, success rate and durations, optionally per group.',
                SummaryArgs, None, {200: answers.Summary}),
    },
    '/jobs/{job_id}': {
        'get': ('One job.', JobArgs, None, {200: answers.OneJob, 404: None}),
        'patch': ('Move a job along its lifecycle (one winner among concurrent moves).', None,
                  UpdateJobArgs, {200: answers.OneJob, 404: None, 409: None}),
    },
    '/jobs/{job_id}/processed-items': {
        'post': ('Record one processed item, or a batch of up to 1000 as {"items": [...]}.',
                 None, {'oneOf': [RecordItemArgs, RecordItemsArgs]},
                 {201: answers.OneItem, 200: answers.ItemBatch, 404: None, 409: None}),
    },
    '/processed-items': {
        'get': ('List deduplication records, newest first.', ItemListArgs, None,
                {200: answers.ItemList}),
        'delete': ('Delete every record of a pipeline or a flow.', None, ClearItemsArgs,
                   {200: answers.ItemsCleared}),
    },
    '/processed-items/check': {
        'get': ('Was this item processed by this flow step? One index lookup.', CheckItemArgs,
                None, {200: answers.ItemCheck}),
    },
    '/audit': {
        'get': ('Audit records of destructive calls (who, from where, what, rows deleted), '
                'newest first.', AuditListArgs, None, {200: answers.AuditList}),
    },
    '/processed-items/{item_id}': {
        'delete': ('Delete one deduplication record.', None, None,
                   {200: answers.ItemDeleted, 404: None}),
    },
}


def _content(schema):
    if isinstance(schema, dict):  # oneOf: reference each schema by its component name
        return {'schema': {'oneOf': [s.__name__ for s in schema['oneOf']]}}
    return {'schema': schema}


def _operation(path, summary, query, body, answered):
    responses = {str(status): {'description': 'Success.', 'content': {
        'application/json': _content(schema)}} if schema else 'Error'
        for status, schema in answered.items()}
    responses.update(dict.fromkeys(('400', '401', '403', '429', '503'), 'Error'))
    operation = {'summary': summary, 'responses': responses, 'parameters': []}
    if '{job_id}' in path:
        operation['parameters'].append(JOB_ID)
    if '{item_id}' in path:
        operation['parameters'].append(ITEM_ID)
    if query:
        operation['parameters'].append({'in': 'query', 'schema': query})
    if body:
        operation['requestBody'] = {'required': True,
                                    'content': {'application/json': _content(body)}}
    return operation


def build():
    """The document as a dict."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title='datamachine-jobs', version=version('datamachine-jobs'), openapi_version='3.1.0',
        plugins=[plugin], servers=[{'url': API_PREFIX}], security=[{'basicAuth': []}],
        info={'description': 'Monitor and clean up workflow executions (jobs). Every route but '
                             'this document needs HTTP Basic auth with an application password '
                             'of an administrator.'})
    plugin.map_to_openapi_type(FlexibleBoolean, 'boolean', None)
    plugin.map_to_openapi_type(CommaList, fields.String)
    plugin.map_to_openapi_type(Timestamp, fields.String)
    plugin.map_to_openapi_type(Age, fields.String)
    spec.components.security_scheme('basicAuth', {'type': 'http', 'scheme': 'basic'})
    spec.components.response('Error', {'description': 'An error, in the one envelope.',
                                       'content': {'application/json': {
                                           'schema': answers.Error}}})
    for schema in (RecordItemArgs, RecordItemsArgs, answers.Cleared, answers.ClearPreview,
                   answers.OneItem, answers.ItemBatch):
        spec.components.schema(schema.__name__, schema=schema)
    for path, methods in OPERATIONS.items():
        spec.path(path=path, operations={
            method: _operation(path, *details) for method, details in methods.items()})
    spec.path(path='/openapi.json', operations={'get': {
        'summary': 'This document (no authentication).', 'security': [],
        'responses': {'200': {'description': 'The OpenAPI document.'}}}})
    return spec.to_dict()
