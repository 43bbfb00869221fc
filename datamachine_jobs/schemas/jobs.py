"""Parameters of the jobs routes."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..vocabulary import ALL_JOB_KEYS, JOB_EDIT_KEYS, JOB_KEYS, MAX_ID
from .fields import (
    TIME_HELP,
    Age,
    ArgsSchema,
    BodyArgs,
    Choice,
    CommaList,
    Duration,
    FlexibleBoolean,
    QueryInteger,
    Timestamp,
    id_field,
    status_field,
    status_list_field,
)

ORDERBY_COLUMNS = JOB_KEYS[:-1]
ORDERBY_PREFIX = 'j.'  # the plugin's SQL-aliased spelling, accepted as the same column
GROUP_BY = ('flow_id', 'pipeline_id')
MAX_ERROR_MESSAGE = 16000  # fits MySQL's TEXT (64 KiB) in utf8mb4
MAX_CURSOR = 1000
MAX_RUNNER = 100  # the width of the runner column
MAX_RECOVER = 10000


def runner_field():
    """`runner`: a label naming the runner that claims or heartbeats a job."""
    return fields.String(validate=validate.Length(min=1, max=MAX_RUNNER, error=(
        f'runner must be a string of 1 to {MAX_RUNNER} characters.')),
        error_messages={'invalid': 'runner must be a string.'}, metadata={'description': (
            'A label for the runner holding the lease, besides the application password.')})


def job_keys_field():
    """`_fields`: which keys of each job object to answer with (WordPress's convention)."""
    return CommaList(lambda key: key if key in ALL_JOB_KEYS else None,
                     'the job keys ' + ', '.join(ALL_JOB_KEYS), len(ALL_JOB_KEYS),
                     '|'.join(ALL_JOB_KEYS), data_key='_fields', attribute='fields',
                     metadata={'description': (
                         'Comma-separated job keys: only those keys in each job object (the '
                         '`context=edit` keys too, without naming the context).')})


def context_field():
    """`context`: `view`, the job object of the contract, or `edit`, with the keys beyond it."""
    return Choice(('view', 'edit'), 'context must be view or edit.', load_default='view',
                  metadata={'description': (
                      '`edit` adds ' + ', '.join(f'`{key}`' for key in JOB_EDIT_KEYS)
                      + ' to each job object.')})


def wants_edit_keys(args):
    """True when the answer's job objects need the `context=edit` keys."""
    return args['context'] == 'edit' or any(key in JOB_EDIT_KEYS for key in args.get('fields', ()))


class JobFilterArgs(ArgsSchema):
    """The filters shared by the list, the summary and (in part) the clear."""

    pipeline_id = id_field('pipeline_id')
    flow_id = id_field('flow_id')
    status = status_list_field(metadata={'description': (
        'Comma-separated statuses, any of which matches: a base status matches its compound '
        'forms (`failed` matches `failed - timeout`), a compound one matches exactly. Any case.')})
    started_after = Timestamp(metadata={'description': 'Inclusive. ' + TIME_HELP})
    started_before = Timestamp(metadata={'description': 'Exclusive. ' + TIME_HELP})
    completed_after = Timestamp(metadata={'description': 'Inclusive. ' + TIME_HELP})
    completed_before = Timestamp(metadata={'description': 'Exclusive. ' + TIME_HELP})


class RowFilterArgs(JobFilterArgs):
    """The filters beyond those the rollups can answer: a summary given one reads job rows."""

    retry_of = id_field('retry_of', metadata={'description': 'Only the retries of this job.'})
    stuck = FlexibleBoolean(metadata={'description': (
        'true: only stuck jobs, processing with no heartbeat (or start) for '
        'DATAMACHINE_STUCK_TIMEOUT seconds or pending for DATAMACHINE_STUCK_PENDING_TIMEOUT; '
        'false: only the others.')})


class JobListArgs(RowFilterArgs):
    """Query arguments of GET /jobs."""

    orderby = Choice(ORDERBY_COLUMNS, 'orderby must be one of: ' + ', '.join(ORDERBY_COLUMNS)
                     + '.', prefix=ORDERBY_PREFIX, load_default='job_id', metadata={
                         'description': "Any letter case; the plugin's `j.` prefix works. Ties "
                                        'are broken by job_id.'})
    order = Choice(('ASC', 'DESC'), 'order must be ASC or DESC.', load_default='DESC',
                   metadata={'description': 'Any letter case. NULL times sort as the smallest '
                                            'values.'})
    per_page = QueryInteger(load_default=50, validate=validate.Range(
        min=1, max=100, error='per_page must be an integer from 1 to 100.'))
    offset = QueryInteger(load_default=0, validate=validate.Range(
        min=0, max=MAX_ID, error=f'offset must be an integer from 0 to {MAX_ID}.'))
    cursor = fields.String(validate=validate.Length(
        max=MAX_CURSOR, error='cursor must be a next_cursor value from an earlier answer.'),
        metadata={'description': 'next_cursor of the previous page; keeps its ordering and '
                                 'needs the same filters. Not with a non-zero offset.'})
    fields_ = job_keys_field()
    context = context_field()

    @validates_schema
    def cursor_or_offset(self, data, **kwargs):
        if data.get('cursor') and data.get('offset'):
            raise ValidationError('cursor cannot be combined with a non-zero offset.', 'cursor')


class ExportArgs(RowFilterArgs):
    """Query arguments of GET /jobs/export."""

    format = Choice(('ndjson', 'csv'), 'format must be ndjson or csv.', load_default='ndjson',
                    metadata={'description': 'ndjson: one job object per line; csv: a header '
                                             'row of keys, then one row per job.'})
    order = Choice(('ASC', 'DESC'), 'order must be ASC or DESC.', load_default='ASC',
                   metadata={'description': 'By job_id; any letter case. Oldest first by '
                                            'default.'})
    fields_ = job_keys_field()
    context = context_field()


class JobArgs(ArgsSchema):
    """Query arguments of GET /jobs/<job_id>."""

    fields_ = job_keys_field()
    context = context_field()


class SummaryArgs(RowFilterArgs):
    """Query arguments of GET /jobs/summary."""

    group_by = fields.String(validate=validate.OneOf(
        GROUP_BY, error='group_by must be flow_id or pipeline_id.'))


class ClearJobsArgs(BodyArgs):
    """Parameters of DELETE /jobs."""

    error_codes = {'type': ('invalid_type', "Invalid type parameter. Must be 'all' or 'failed'.")}

    type = fields.String(required=True, validate=validate.OneOf(('all', 'failed')))
    cleanup_processed = FlexibleBoolean(load_default=False)
    older_than = Age(metadata={'description': (
        'Only finished jobs completed before this: an age (`30d`, `12h`, `90m`, counted from '
        'now) or a time. ' + TIME_HELP)})
    pipeline_id = id_field('pipeline_id')
    flow_id = id_field('flow_id')
    dry_run = FlexibleBoolean(load_default=False)


class CreateJobArgs(BodyArgs):
    """Body of POST /jobs."""

    pipeline_id = id_field('pipeline_id', required=True)
    flow_id = id_field('flow_id', required=True)


class UpdateJobArgs(BodyArgs):
    """Body of PATCH /jobs/<job_id>."""

    status = status_field(required=True)
    error_message = fields.String(error_messages={'invalid': 'error_message must be a string.'},
                                  validate=validate.Length(max=MAX_ERROR_MESSAGE, error=(
                                      f'error_message must be at most {MAX_ERROR_MESSAGE} '
                                      'characters.')))
    runner = runner_field()  # recorded by a claim; another move has no lease to label


class RetryJobArgs(BodyArgs):
    """Body of POST /jobs/<job_id>/retry."""

    force = FlexibleBoolean(load_default=False, metadata={'description': (
        'Retry a job that has not finished too.')})


class DeleteJobArgs(BodyArgs):
    """Parameters of DELETE /jobs/<job_id>."""

    cleanup_processed = FlexibleBoolean(load_default=False, metadata={'description': (
        "Delete the job's processed items too (else they stay, so that its items are not "
        'processed again).')})


class HeartbeatArgs(BodyArgs):
    """Body of POST /jobs/<job_id>/heartbeat."""

    runner = runner_field()


class RecoverStuckArgs(BodyArgs):
    """Body of POST /jobs/recover-stuck."""

    action = fields.String(required=True, validate=validate.OneOf(
        ('fail', 'requeue'), error='action must be fail or requeue.'), metadata={'description': (
            "fail: finish them as 'failed - stuck' with a message saying since when; requeue: "
            'processing ones back to pending, their attempts one more.')})
    timeout = Duration(metadata={'description': (
        'A processing job with no heartbeat for this long is stuck (default '
        'DATAMACHINE_STUCK_TIMEOUT).')})
    pending_timeout = Duration(metadata={'description': (
        'A pending job recorded this long ago is stuck (default '
        'DATAMACHINE_STUCK_PENDING_TIMEOUT).')})
    pipeline_id = id_field('pipeline_id')
    flow_id = id_field('flow_id')
    limit = QueryInteger(load_default=1000, validate=validate.Range(
        min=1, max=MAX_RECOVER, error=f'limit must be an integer from 1 to {MAX_RECOVER}.'),
        metadata={'description': 'At most this many jobs, oldest id first.'})
    dry_run = FlexibleBoolean(load_default=False)
