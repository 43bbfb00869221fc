"""Parameters of the jobs routes."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..vocabulary import JOB_KEYS, MAX_ID
from .fields import (
    TIME_HELP,
    Age,
    ArgsSchema,
    BodyArgs,
    Choice,
    CommaList,
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


def job_keys_field():
    """`_fields`: which keys of each job object to answer with (WordPress's convention)."""
    return CommaList(lambda key: key if key in JOB_KEYS else None,
                     'the job keys ' + ', '.join(JOB_KEYS), len(JOB_KEYS), '|'.join(JOB_KEYS),
                     data_key='_fields', attribute='fields', metadata={'description': (
                         'Comma-separated job keys: only those keys in each job object.')})


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


class JobListArgs(JobFilterArgs):
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

    @validates_schema
    def cursor_or_offset(self, data, **kwargs):
        if data.get('cursor') and data.get('offset'):
            raise ValidationError('cursor cannot be combined with a non-zero offset.', 'cursor')


class JobArgs(ArgsSchema):
    """Query arguments of GET /jobs/<job_id>."""

    fields_ = job_keys_field()


class SummaryArgs(JobFilterArgs):
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
