"""The shapes of the answers, for the OpenAPI document (views build the answers themselves).

Every key of an answer is in every such answer (null where nullable) but those its schema names
in SOMETIMES: the document lists the others as required, and the suite checks every answer it
gets against the document (tests/conftest.py)."""
from marshmallow import Schema, fields

Integer, String, Boolean = fields.Integer, fields.String, fields.Boolean


def nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class Always(fields.Boolean):
    """A boolean that has one value in this answer: what tells it from the route's other
    answers (a dry run's `dry_run: true`)."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def json_schema(self):
        return {'const': self.value}


class Answer(Schema):
    SOMETIMES = ()  # keys that some answers of this shape leave out


class Job(Answer):
    """Seven keys by default; `context=edit` adds the others, `_fields` keeps only those named."""

    SOMETIMES = ('job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at',
                 'error_message', 'created_at', 'claimed_by', 'runner', 'heartbeat_at',
                 'attempts', 'retry_of')
    job_id = Integer()
    flow_id = Integer()
    pipeline_id = Integer()
    status = String()
    started_at = nullable(String, metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    completed_at = nullable(String, metadata={'description': "UTC, 'YYYY-MM-DD HH:MM:SS'"})
    error_message = nullable(String)
    created_at = String(metadata={'description': 'With context=edit. When the job was recorded.'})
    claimed_by = nullable(String, metadata={'description': (
        'With context=edit. The name of the application password that claimed the job.')})
    runner = nullable(String, metadata={'description': (
        'With context=edit. The runner label sent with the claim.')})
    heartbeat_at = nullable(String, metadata={'description': (
        "With context=edit. The lease's last heartbeat (the claim counts as one).")})
    attempts = Integer(metadata={'description': (
        'With context=edit. 1 for a first run; one more each time the job was requeued after '
        'being stuck.')})
    retry_of = nullable(Integer, metadata={'description': (
        'With context=edit. The job this one retries.')})


class JobList(Answer):
    success = Always(True)
    data = fields.List(fields.Nested(Job))
    total = Integer(metadata={'description': 'Jobs matching the filters.'})
    per_page = Integer()
    offset = Integer()
    next_cursor = nullable(String, metadata={'description': 'Pass as `cursor` for the next '
                                                            'page; null on the last page.'})


class OneJob(Answer):
    success = Always(True)
    data = fields.Nested(Job)


class Cleared(Answer):
    success = Always(True)
    message = String()
    jobs_deleted = Integer()
    processed_items_cleaned = Integer()


class ClearPreview(Answer):
    success = Always(True)
    dry_run = Always(True)
    jobs_matched = Integer()
    processed_items_matched = Integer()
    by_status = fields.Dict(keys=String(), values=Integer())


class JobDeleted(Answer):
    success = Always(True)
    message = String()
    job_id = Integer()
    jobs_deleted = Integer()
    processed_items_cleaned = Integer()


class RetentionRules(Answer):
    jobs = fields.Dict(keys=String(), values=Integer(), metadata={'description': (
        'Per final base status, seconds after completion its jobs stay.')})
    keep_per_flow = Integer()
    processed_items = nullable(Integer, metadata={'description': (
        'Seconds after processing a record stays; null: for ever.')})


class RetentionRulesAnswer(Answer):
    success = Always(True)
    data = fields.Nested(RetentionRules)


class RuleRows(Answer):
    rule = String(metadata={'description': '`jobs.<base status>` or `processed_items`.'})
    older_than = String(metadata={'description': 'UTC: the cut-off its age gives now.'})
    rows = Integer()


class RetentionRows(Answer):
    success = Always(True)
    rules = fields.List(fields.Nested(RuleRows))


class RetentionPreview(RetentionRows):
    dry_run = Always(True)
    jobs_matched = Integer()
    processed_items_matched = Integer()


class RetentionRun(RetentionRows):
    dry_run = Always(False)
    jobs_deleted = Integer()
    processed_items_deleted = Integer()


class StuckJob(Answer):
    job_id = Integer()
    status = String(metadata={'description': 'As it was when found stuck.'})
    stuck_since = String(metadata={'description': (
        'UTC: the last heartbeat (else the start) of a processing job; when a pending one was '
        'recorded.')})


class StuckCutoffs(Answer):
    processing = String(metadata={'description': 'Last alive before this: stuck.'})
    pending = String(metadata={'description': 'Recorded before this: stuck.'})


class Recovered(Answer):
    success = Always(True)
    dry_run = Always(False)
    action = String()
    stuck_before = fields.Nested(StuckCutoffs)
    jobs_recovered = Integer()
    data = fields.List(fields.Nested(StuckJob), metadata={'description': 'The jobs changed.'})


class RecoverPreview(Answer):
    success = Always(True)
    dry_run = Always(True)
    action = String()
    stuck_before = fields.Nested(StuckCutoffs)
    jobs_matched = Integer()
    data = fields.List(fields.Nested(StuckJob), metadata={'description': (
        'The jobs a run would change now.')})


class Durations(Answer):
    avg = nullable(fields.Float, metadata={'description': 'Exact, to 3 decimals.'})
    p50 = nullable(Integer, metadata={'description': (
        'Nearest rank; within 1% of the exact value, exact below 100 seconds.')})
    p95 = nullable(Integer, metadata={'description': (
        'Nearest rank; within 1% of the exact value, exact below 100 seconds.')})
    max = nullable(Integer, metadata={'description': 'Exact.'})


class Stats(Answer):
    total = Integer()
    by_status = fields.Dict(keys=String(), values=Integer())
    success_rate = nullable(fields.Float, metadata={'description': (
        'Successes (completed, completed_no_items, agent_skipped) over jobs that ran to an '
        'outcome (those and failed; cancelled ones are left out).')})
    duration_seconds = fields.Nested(Durations)


class GroupStats(Stats):
    SOMETIMES = ('flow_id', 'pipeline_id')  # the one grouped by
    flow_id = Integer(metadata={'description': 'With group_by=flow_id.'})
    pipeline_id = Integer(metadata={'description': 'With group_by=pipeline_id.'})


class SummaryData(Stats):
    SOMETIMES = ('groups',)
    groups = fields.List(fields.Nested(GroupStats), metadata={'description': 'With group_by.'})


class Summary(Answer):
    success = Always(True)
    data = fields.Nested(SummaryData)


class Item(Answer):
    id = Integer()
    flow_step_id = String()
    source_type = String()
    item_identifier = String()
    job_id = Integer()
    processed_at = String()


class ItemList(Answer):
    success = Always(True)
    items = fields.List(fields.Nested(Item))
    total = Integer()
    page = Integer()
    per_page = Integer()


class ItemCheck(Answer):
    success = Always(True)
    processed = Boolean()
    data = fields.Nested(Item, allow_none=True)


class OneItem(Answer):
    success = Always(True)
    data = fields.Nested(Item)


class ItemBatch(Answer):
    success = Always(True)
    created = Integer()
    skipped = Integer()
    data = fields.List(fields.Nested(Item))


class ItemDeleted(Answer):
    success = Always(True)
    message = String()
    id = Integer()


class ItemsCleared(Answer):
    success = Always(True)
    data = fields.Constant(None, allow_none=True)
    message = String()
    items_deleted = Integer()


class Error(Answer):
    code = String(required=True)
    message = String(required=True)
    data = fields.Dict(required=True, metadata={
        'description': '`status`, and `params` for invalid input.'})


class AuditRecord(Answer):
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


class AuditList(Answer):
    success = Always(True)
    data = fields.List(fields.Nested(AuditRecord))
    total = Integer()
    per_page = Integer()
    offset = Integer()


class SessionUser(Answer):
    id = Integer()
    username = String()
    role = String()
    capabilities = fields.List(String(), metadata={
        'description': 'manage_options for an administrator, who may use the jobs routes.'})


class SessionData(Answer):
    user = fields.Nested(SessionUser)
    app_password = String(metadata={'description': 'Name of the application password that '
                                                   'opened the session.'})
    nonce = String(metadata={'description': 'Send it as X-WP-Nonce with every request the '
                                            'session cookie authenticates.'})


class SignedIn(Answer):
    success = Always(True)
    data = fields.Nested(SessionData)


class SignedOut(Answer):
    success = Always(True)


class Operation(Answer):
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


class OneOperation(Answer):
    success = Always(True)
    data = fields.Nested(Operation)


class OperationList(Answer):
    success = Always(True)
    data = fields.List(fields.Nested(Operation))
    total = Integer()
    per_page = Integer()
    offset = Integer()


class RetentionShown(Answer):
    success = Always(True)
    data = fields.Nested(RetentionRules)
    last_run = fields.Nested(AuditRecord, allow_none=True, metadata={'description': (
        'The last run\'s audit record; null before the first.')})


class FlowHealth(Answer):
    flow_id = Integer()
    pipeline_id = Integer()
    runs = Integer(metadata={'description': 'Jobs completed in the window with an outcome.'})
    failures = Integer()
    success_rate = fields.Float()
    consecutive_failures = Integer(metadata={'description': (
        'Failed jobs since its last success, whenever they ran.')})
    last_success_at = nullable(String)
    last_failure_at = nullable(String)
    last_error = nullable(String, metadata={'description': "Its newest failure's message."})


class FlowHealthList(Answer):
    success = Always(True)
    since = String(metadata={'description': 'UTC: the window starts here.'})
    data = fields.List(fields.Nested(FlowHealth))
    total = Integer()
