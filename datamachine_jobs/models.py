"""peewee models; field names are the JSON names.

They describe every table and index the migrations in migrations/ create (tests/test_migrations.py
holds them to it), but never create anything: the schema comes from the migrations only. Indexes
declared in `Meta.indexes` are named as peewee names them, after the lower-cased class name (which
is why the classes keep the names the migrations' frozen models had); indexes that later
migrations added carry the name the migration gave them.
"""
from datetime import UTC, datetime, timedelta

from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .db import database
from .vocabulary import TIMESTAMP_FORMAT


def utcnow():
    """The current UTC time in the API's timestamp format."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


FIRST_TIME = '0001-01-01 00:00:00'  # the first second a DATETIME holds


def time_before(now, seconds):
    """`seconds` before `now` (a naive UTC datetime) in the API's format; an age reaching back
    beyond the first storable second is that second."""
    if seconds >= (now - datetime.min).total_seconds():
        return FIRST_TIME
    return (now - timedelta(seconds=seconds)).strftime(TIMESTAMP_FORMAT)


class TimestampField(DateTimeField):
    """A UTC DATETIME that reads back as the API's 'YYYY-MM-DD HH:MM:SS' string.

    SQLite hands back the stored text and MySQL a datetime; both become the same string without
    a parse-and-format round trip per row.
    """

    def db_value(self, value):
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return timestamp_text(value)
        return value

    def python_value(self, value):
        return timestamp_text(value)


def timestamp_text(value):
    """A stored time as the API writes it: MySQL hands back datetimes, SQLite the stored text
    (cut to whole seconds, should another writer have stored fractions). Years below 1000 keep
    four digits, which strftime drops."""
    if isinstance(value, datetime):
        return value.isoformat(' ', 'seconds')
    return value[:19] if isinstance(value, str) else value


class MediumTextField(TextField):
    """Text up to 16 MiB on MySQL, whose TEXT stops at 64 KiB (SQLite reads it as TEXT)."""

    field_type = 'MEDIUMTEXT'


class BaseModel(Model):
    class Meta:
        database = database


class Job(BaseModel):
    """One execution of a flow. `base_status` and `duration_seconds` (whole seconds from
    started_at to completed_at) are generated columns the database maintains. The lease (who
    claimed the job, its last heartbeat), the attempt and the job it retries came with 0012."""

    job_id = BigAutoField()
    pipeline_id = BigIntegerField()
    flow_id = BigIntegerField()
    status = CharField(max_length=100)
    base_status = CharField(max_length=100, null=True)
    started_at = TimestampField(null=True)
    completed_at = TimestampField(null=True)
    error_message = TextField(null=True)
    created_at = TimestampField(default=utcnow)
    duration_seconds = BigIntegerField(null=True)  # added by 0011
    claimed_by = CharField(max_length=100, null=True)  # added by 0012, as the four below
    runner = CharField(max_length=100, null=True)
    heartbeat_at = TimestampField(null=True)
    attempts = IntegerField(constraints=[SQL('DEFAULT 1')])  # the database's default
    retry_of = BigIntegerField(null=True)

    class Meta:
        table_name = 'datamachine_jobs'
        indexes = (
            (('base_status', 'job_id'), False),
            (('status', 'job_id'), False),
            (('pipeline_id', 'job_id'), False),
            (('flow_id', 'job_id'), False),
            (('started_at', 'job_id'), False),
            (('completed_at', 'job_id'), False),
            (('pipeline_id', 'base_status', 'job_id'), False),
            (('flow_id', 'base_status', 'job_id'), False),
        )


Job.add_index(Job.base_status, Job.completed_at, Job.job_id, Job.flow_id, Job.pipeline_id,
              name='datamachine_jobs_base_status_completed_at_flow')  # 0014, for 0003's
Job.add_index(Job.duration_seconds, name='datamachine_jobs_duration_seconds')  # added by 0011
Job.add_index(Job.retry_of, name='datamachine_jobs_retry_of')  # added by 0012


class JobCount(BaseModel):
    """How many jobs have one (pipeline_id, flow_id, status): kept by triggers on
    datamachine_jobs, or by bulk writers that defer them (services.counting)."""

    pipeline_id = BigIntegerField()
    flow_id = BigIntegerField()
    status = CharField(max_length=100)
    base_status = CharField(max_length=100, null=True)  # generated, as in datamachine_jobs
    n = BigIntegerField()

    class Meta:
        table_name = 'datamachine_job_counts'
        primary_key = CompositeKey('pipeline_id', 'flow_id', 'status')
        indexes = ((('flow_id',), False), (('base_status',), False))


class DurationBucket(BaseModel):
    """The ranges of whole seconds the rollups' duration histograms count in
    (migrating/rollups.py: `value` is what a percentile in the range reports)."""

    id = IntegerField(primary_key=True)
    low = BigIntegerField(unique=True)
    value = BigIntegerField()

    class Meta:
        table_name = 'datamachine_duration_buckets'


class JobRollup(BaseModel):
    """Jobs, and the sum of their durations, per cell: a tier (all time, for all jobs or per
    flow; a day or an hour of started_at or completed_at), a base status and a duration bucket.
    Kept by triggers on datamachine_jobs, or by bulk writers that defer them (services.counting);
    see migrating/rollups.py."""

    tier = IntegerField()
    pipeline_id = BigIntegerField()
    flow_id = BigIntegerField()
    bucket = CharField(max_length=13)
    base_status = CharField(max_length=100)
    duration_bucket = IntegerField()
    n = BigIntegerField()
    seconds = BigIntegerField()

    class Meta:
        table_name = 'datamachine_job_rollups'
        primary_key = CompositeKey('tier', 'pipeline_id', 'flow_id', 'bucket', 'base_status',
                                   'duration_bucket')


class CountDeferral(BaseModel):
    """SQLite only: a row here, inside a writer's transaction, stops the count triggers for it
    (MySQL uses a session variable instead, and has no such table)."""

    id = IntegerField(primary_key=True)

    class Meta:
        table_name = 'datamachine_count_deferrals'


class ProcessedItem(BaseModel):
    """A deduplication record: this item from this source was processed by this flow step.

    No foreign key to jobs: the records outlive their jobs on purpose. On MySQL the unique key is
    on `item_key`, a generated hash of the three identifying columns (see migration 0001), which
    this model leaves out.
    """

    id = BigAutoField()
    flow_step_id = CharField(max_length=255)
    source_type = CharField(max_length=100)
    item_identifier = TextField()
    job_id = BigIntegerField()
    flow_id = BigIntegerField()
    pipeline_id = BigIntegerField()
    processed_at = TimestampField(default=utcnow)

    class Meta:
        table_name = 'datamachine_processed_items'
        indexes = (
            (('flow_step_id', 'source_type', 'item_identifier'), True),
            (('job_id',), False),
            (('flow_id',), False),
            (('pipeline_id',), False),
        )


ProcessedItem.add_index(ProcessedItem.source_type,
                        name='datamachine_processed_items_source_type')  # added by 0002


class User(BaseModel):
    id = BigAutoField()
    username = CharField(max_length=60, unique=True)
    email = CharField(max_length=100, null=True, unique=True)
    role = CharField(max_length=20)
    created_at = TimestampField(default=utcnow)

    class Meta:
        table_name = 'datamachine_users'


class AppPassword(BaseModel):
    """An application password, kept only as a keyed digest."""

    id = BigAutoField()
    uuid = CharField(max_length=36, unique=True)
    user = ForeignKeyField(User, column_name='user_id', backref='app_passwords',
                           on_delete='CASCADE')
    name = CharField(max_length=100)
    digest = CharField(max_length=64)
    created_at = TimestampField(default=utcnow)
    last_used_at = TimestampField(null=True)
    last_ip = CharField(max_length=45, null=True)
    revoked_at = TimestampField(null=True)

    class Meta:
        table_name = 'datamachine_app_passwords'


class Session(BaseModel):
    """A signed-in dashboard session. The cookie's token is kept only as a keyed digest, and the
    session lives as long as the application password that opened it (services/sessions.py)."""

    id = BigAutoField()
    token_digest = CharField(max_length=64, unique=True)
    app_password = ForeignKeyField(AppPassword, column_name='app_password_id',
                                   on_delete='CASCADE')
    created_at = TimestampField(default=utcnow)
    last_seen_at = TimestampField(default=utcnow)

    class Meta:
        table_name = 'datamachine_sessions'
        indexes = ((('last_seen_at',), False),)


class RetentionRule(BaseModel):
    """One retention rule (services/retention.py): `jobs.<base status>` (seconds after
    completion a finished job goes), `keep_per_flow` (newest finished jobs each flow keeps) or
    `processed_items` (seconds after processing a record goes)."""

    name = CharField(max_length=60, primary_key=True)
    value = BigIntegerField()

    class Meta:
        table_name = 'datamachine_retention_rules'


class AuditRecord(BaseModel):
    """Who deleted what, from where, and how it ended: one row per destructive call.

    `parameters` (the request as received) and `rows_deleted` (kept up to date batch by batch)
    hold JSON objects; `outcome` is started, completed or failed (a clear that failed part-way
    committed whole batches: rerunning it finishes the work), or cancelled (an operation stopped
    between batches). A started record whose process is gone reads as interrupted (see
    services.locks).
    """

    id = BigAutoField()
    created_at = TimestampField(default=utcnow)
    action = CharField(max_length=60)
    via = CharField(max_length=10)
    username = CharField(max_length=60, null=True)
    app_password = CharField(max_length=100, null=True)
    remote_addr = CharField(max_length=45, null=True)
    request_id = CharField(max_length=128, null=True)
    parameters = TextField()
    outcome = CharField(max_length=20)
    rows_deleted = TextField(null=True)
    # The highest id a clear may delete, fixed when it began, so that a resumed clear keeps it.
    bound = BigIntegerField(null=True)
    # `host:pid` of the process carrying the call out (the last one, when it was resumed).
    process = CharField(max_length=100, null=True)

    class Meta:
        table_name = 'datamachine_audit_log'
        indexes = ((('action', 'id'), False), (('username', 'id'), False))


class IdempotencyKey(BaseModel):
    """An Idempotency-Key a user sent: the request it came with (as a fingerprint) and the answer
    that request got (`status_code` is null while a clear it started is unfinished)."""

    id = BigAutoField()
    user_id = BigIntegerField()
    idempotency_key = CharField(max_length=255)
    fingerprint = CharField(max_length=64)
    audit_id = BigIntegerField(null=True)
    status_code = IntegerField(null=True)
    response = MediumTextField(null=True)
    expires_at = TimestampField()

    class Meta:
        table_name = 'datamachine_idempotency_keys'
        indexes = ((('user_id', 'idempotency_key'), True), (('expires_at',), False))


class AuthFailure(BaseModel):
    """Failed authentications of one client address and login in one fixed window, counted here so
    that every worker and host shares the count (services/throttle.py)."""

    window_start = TimestampField()
    remote_addr = CharField(max_length=45)
    username = CharField(max_length=100)
    failures = IntegerField()

    class Meta:
        table_name = 'datamachine_auth_failures'
        primary_key = CompositeKey('window_start', 'remote_addr', 'username')


class AsyncOperation(BaseModel):
    """A clear that outlives its request (`Prefer: respond-async`): what was asked, the bound it
    fixed when it was queued, where it stands, and its lease: the process carrying it out
    (`owner`, `host:pid`) and when that process last showed it was alive (`heartbeat_at`).
    Another worker takes over an operation whose heartbeat is older than the lease
    (services/operations.py).

    `parameters` (the request as received), `arguments` (what the clear is called with, an age
    already turned into its cut-off time), `actor` (who asked, as the audit record names them),
    `rows_matched` and `rows_done` hold JSON objects.
    """

    id = BigAutoField()
    created_at = TimestampField(default=utcnow)
    action = CharField(max_length=60)
    state = CharField(max_length=20)
    parameters = TextField()
    arguments = TextField()
    actor = TextField()
    bound = BigIntegerField()
    rows_matched = TextField(null=True)
    rows_done = TextField()
    started_at = TimestampField(null=True)
    finished_at = TimestampField(null=True)
    cancel_requested_at = TimestampField(null=True)
    error = TextField(null=True)
    audit_id = BigIntegerField(null=True)
    owner = CharField(max_length=100)
    heartbeat_at = TimestampField()

    class Meta:
        table_name = 'datamachine_operations'
        indexes = ((('state', 'heartbeat_at'), False),)
