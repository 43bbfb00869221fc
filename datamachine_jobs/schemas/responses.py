"""The shapes of the answers, for the OpenAPI document (views build the answers themselves)."""
from marshmallow import Schema, fields

Integer, String, Boolean = fields.Integer, fields.String, fields.Boolean


def nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class Job(Schema):
    job_id = Integer()
    flow_id = Integer()
    pipeline_id = Integer()
    status = String()
    started_at = nullable(String, metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    completed_at = nullable(String, metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    error_message = nullable(String)


class JobList(Schema):
    success = Boolean()
    data = fields.List(fields.Nested(Job))
    total = Integer(metadata={'description': 'Jobs matching the filters.'})
    per_page = Integer()
    offset = Integer()
    next_cursor = nullable(String, metadata={'description': 'Pass as `cursor` for the next '
                                                            'page; null on the last page.'})


class OneJob(Schema):
    success = Boolean()
    data = fields.Nested(Job)


class Cleared(Schema):
    success = Boolean()
    message = String()
    jobs_deleted = Integer()
    processed_items_cleaned = Integer()


class ClearPreview(Schema):
    success = Boolean()
    dry_run = Boolean()
    jobs_matched = Integer()
    processed_items_matched = Integer()
    by_status = fields.Dict(keys=String(), values=Integer())


class Durations(Schema):
    avg = nullable(fields.Float, metadata={'description': 'Exact, to 3 decimals.'})
    p50 = nullable(Integer, metadata={'description': (
        'Nearest rank; within 1% of the exact value, exact below 100 seconds.')})
    p95 = nullable(Integer, metadata={'description': (
        'Nearest rank; within 1% of the exact value, exact below 100 seconds.')})
    max = nullable(Integer, metadata={'description': 'Exact.'})


class Stats(Schema):
    total = Integer()
    by_status = fields.Dict(keys=String(), values=Integer())
    success_rate = nullable(fields.Float, metadata={'description': 'Successes over finished.'})
    duration_seconds = fields.Nested(Durations)


class GroupStats(Stats):
    flow_id = Integer(metadata={'description': 'With group_by=flow_id.'})
    pipeline_id = Integer(metadata={'description': 'With group_by=pipeline_id.'})


class SummaryData(Stats):
    groups = fields.List(fields.Nested(GroupStats), metadata={'description': 'With group_by.'})


class Summary(Schema):
    success = Boolean()
    data = fields.Nested(SummaryData)


class Item(Schema):
    id = Integer()
    flow_step_id = String()
    source_type = String()
    item_identifier = String()
    job_id = Integer()
    processed_at = String()


class ItemList(Schema):
    success = Boolean()
    items = fields.List(fields.Nested(Item))
    total = Integer()
    page = Integer()
    per_page = Integer()


class ItemCheck(Schema):
    success = Boolean()
    processed = Boolean()
    data = fields.Nested(Item, allow_none=True)


class OneItem(Schema):
    success = Boolean()
    data = fields.Nested(Item)


class ItemBatch(Schema):
    success = Boolean()
    created = Integer()
    skipped = Integer()
    data = fields.List(fields.Nested(Item))


class ItemDeleted(Schema):
    success = Boolean()
    message = String()
    id = Integer()


class ItemsCleared(Schema):
    success = Boolean()
    data = fields.Constant(None, allow_none=True)
    message = String()
    items_deleted = Integer()


class Error(Schema):
    code = String(required=True)
    message = String(required=True)
    data = fields.Dict(required=True, metadata={
        'description': '`status`, and `params` for invalid input.'})


class AuditRecord(Schema):
    id = Integer()
    created_at = String(metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    action = String(metadata={'description': 'jobs.clear, processed_items.clear or '
                                             'processed_items.delete.'})
    via = String(metadata={'description': 'http, dashboard (a signed-in session) or cli.'})
    username = nullable(String)
    app_password = nullable(String, metadata={'description': 'Name of the application '
                                                             'password used.'})
    remote_addr = nullable(String)
    request_id = nullable(String)
    process = nullable(String, metadata={'description': '`host:pid` of the process carrying the '
                                                        'call out (the last, if resumed).'})
    parameters = fields.Dict()
    outcome = String(metadata={'description': 'started, completed, failed (whole batches may be '
                                              'deleted: rerun to finish), interrupted (its '
                                              'process died) or cancelled (an operation stopped '
                                              'by DELETE /operations/{id}).'})
    rows_deleted = nullable(fields.Dict, keys=String(), values=Integer())


class AuditList(Schema):
    success = Boolean()
    data = fields.List(fields.Nested(AuditRecord))
    total = Integer()
    per_page = Integer()
    offset = Integer()


class SessionUser(Schema):
    id = Integer()
    username = String()
    role = String()
    capabilities = fields.List(String(), metadata={
        'description': 'manage_options for an administrator, who may use the jobs routes.'})


class SessionData(Schema):
    user = fields.Nested(SessionUser)
    app_password = String(metadata={'description': 'Name of the application password that '
                                                   'opened the session.'})
    nonce = String(metadata={'description': 'Send it as X-WP-Nonce with every request the '
                                            'session cookie authenticates.'})


class SignedIn(Schema):
    success = Boolean()
    data = fields.Nested(SessionData)


class SignedOut(Schema):
    success = Boolean()


class Operation(Schema):
    id = Integer()
    action = String(metadata={'description': 'jobs.clear or processed_items.clear.'})
    state = String(metadata={'description': 'queued, running, completed, failed or cancelled.'})
    parameters = fields.Dict(metadata={'description': 'The request as received.'})
    bound = Integer(metadata={'description': 'The highest job (or record) id when it was '
                                             'queued: rows made later are kept.'})
    rows_matched = nullable(fields.Dict, keys=String(), values=Integer(), metadata={
        'description': 'Rows it was to delete, counted when it started; null before.'})
    rows_done = fields.Dict(keys=String(), values=Integer(), metadata={
        'description': 'Rows deleted so far: {"jobs": n, "processed_items": n}.'})
    created_at = String(metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    started_at = nullable(String)
    finished_at = nullable(String)
    cancel_requested_at = nullable(String, metadata={
        'description': 'When DELETE /operations/{id} asked it to stop.'})
    error = nullable(String, metadata={'description': 'Why it failed.'})
    audit_id = nullable(Integer, metadata={'description': 'Its audit record, once started.'})
    result = fields.Raw(allow_none=True, metadata={
        'description': 'Once completed, the answer the clear would have given had the client '
                       'waited for it; null before.'})


class OneOperation(Schema):
    success = Boolean()
    data = fields.Nested(Operation)


class OperationList(Schema):
    success = Boolean()
    data = fields.List(fields.Nested(Operation))
    total = Integer()
    per_page = Integer()
    offset = Integer()
