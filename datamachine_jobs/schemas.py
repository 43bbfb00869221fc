"""marshmallow schemas for query arguments and request bodies.

Messages are whole sentences naming the parameter, because they reach clients verbatim in the
error envelope's `data.params`.
"""
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from . import statuses

MAX_ID = 2**63 - 1  # BIGINT: anything larger cannot be stored, so it is bad input, not a miss
ORDERBY_COLUMNS = ('job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at')
ORDERBY_PREFIX = 'j.'  # the plugin's SQL-aliased spelling, accepted as the same column
MAX_ERROR_MESSAGE = 16000  # fits MySQL's TEXT (64 KiB) in utf8mb4
MAX_ITEM_IDENTIFIER = 4096
MAX_BATCH = 1000
STATUS_RE = re.compile(rf"^({'|'.join(statuses.BASE_STATUSES)})( - .+)?$", re.IGNORECASE | re.S)


class QueryInteger(fields.Integer):
    """An integer written in decimal digits (no floats, exponents or non-ASCII digits)."""

    DIGITS = re.compile(r'^\s*-?[0-9]+\s*$')

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, str) and self.DIGITS.match(value))):
            raise ValidationError(f'{attr} must be an integer.')
        return int(value)


def text_field(name, max_length, **kwargs):
    """A non-empty string of at most `max_length` characters."""
    return fields.String(error_messages={'invalid': f'{name} must be a string.',
                                         'null': f'{name} must be a string.'},
                         validate=validate.Length(min=1, max=max_length, error=(
                             f'{name} must be 1 to {max_length} characters long.')), **kwargs)


def id_field(name, **kwargs):
    """An optional positive id that fits a BIGINT."""
    return QueryInteger(validate=validate.Range(
        min=1, max=MAX_ID, error=f'{name} must be an integer from 1 to {MAX_ID}.'), **kwargs)


class FlexibleBoolean(fields.Field):
    """A boolean as JSON, forms and query strings spell it: true/false, 1/0, "true", "0"..."""

    TRUE = frozenset(('true', '1'))
    FALSE = frozenset(('false', '0'))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in self.TRUE | self.FALSE:
            return value.strip().lower() in self.TRUE
        raise ValidationError(f'{attr} must be a boolean: true, false, 1 or 0.')


def status_field(**kwargs):
    """A base status, or a compound `<base> - <reason>`, any case."""
    return fields.String(error_messages={'invalid': 'status must be a string.'}, validate=[
        validate.Length(max=statuses.MAX_LENGTH,
                        error=f'status must be at most {statuses.MAX_LENGTH} characters.'),
        validate.Regexp(STATUS_RE, error=(
            'status must be one of: ' + ', '.join(statuses.BASE_STATUSES)
            + "; optionally followed by ' - ' and a reason."))], **kwargs)


class ArgsSchema(Schema):
    """Base for request parameters: unknown ones are ignored and an empty value means unset."""

    class Meta:
        unknown = EXCLUDE

    # Field-specific answers replacing the generic rest_invalid_param: name -> (code, message)
    error_codes = {}

    @pre_load
    def prepare(self, data, **kwargs):
        if hasattr(data, 'to_dict'):
            data = data.to_dict(flat=True)  # a repeated query parameter: the first value wins
        return self.normalise({k: v for k, v in data.items() if v != '' and v is not None})

    def normalise(self, data):
        """Bring accepted spellings to their canonical form before validation."""
        return data


class JobListArgs(ArgsSchema):
    """Query arguments of GET /jobs."""

    orderby = fields.String(load_default='job_id', validate=validate.OneOf(
        ORDERBY_COLUMNS, error='orderby must be one of: ' + ', '.join(ORDERBY_COLUMNS) + '.'))
    order = fields.String(load_default='DESC', validate=validate.OneOf(
        ('ASC', 'DESC'), error='order must be ASC or DESC.'))
    per_page = QueryInteger(load_default=50, validate=validate.Range(
        min=1, max=100, error='per_page must be an integer from 1 to 100.'))
    offset = QueryInteger(load_default=0, validate=validate.Range(
        min=0, max=MAX_ID, error=f'offset must be an integer from 0 to {MAX_ID}.'))
    pipeline_id = id_field('pipeline_id')
    flow_id = id_field('flow_id')
    status = status_field()

    def normalise(self, data):
        if isinstance(data.get('orderby'), str):
            data['orderby'] = data['orderby'].strip().lower().removeprefix(ORDERBY_PREFIX)
        if isinstance(data.get('order'), str):
            data['order'] = data['order'].strip().upper()
        return data


class ClearJobsArgs(ArgsSchema):
    """Parameters of DELETE /jobs."""

    error_codes = {'type': ('invalid_type', "Invalid type parameter. Must be 'all' or 'failed'.")}

    type = fields.String(required=True, validate=validate.OneOf(('all', 'failed')))
    cleanup_processed = FlexibleBoolean(load_default=False)


class CreateJobArgs(ArgsSchema):
    """Body of POST /jobs."""

    pipeline_id = id_field('pipeline_id', required=True)
    flow_id = id_field('flow_id', required=True)


class UpdateJobArgs(ArgsSchema):
    """Body of PATCH /jobs/<job_id>."""

    status = status_field(required=True)
    error_message = fields.String(error_messages={'invalid': 'error_message must be a string.'},
                                  validate=validate.Length(max=MAX_ERROR_MESSAGE, error=(
                                      f'error_message must be at most {MAX_ERROR_MESSAGE} '
                                      'characters.')))


class ItemIdentity(Schema):
    """What identifies a processed item."""

    flow_step_id = text_field('flow_step_id', 255, required=True)
    source_type = text_field('source_type', 100, required=True)
    item_identifier = text_field('item_identifier', MAX_ITEM_IDENTIFIER, required=True)

    class Meta:
        unknown = EXCLUDE


class CheckItemArgs(ArgsSchema, ItemIdentity):
    """Query of GET /processed-items/check."""


class RecordItemArgs(ArgsSchema, ItemIdentity):
    """Body of POST /jobs/<job_id>/processed-items with one record."""


class RecordItemsArgs(ArgsSchema):
    """Body of POST /jobs/<job_id>/processed-items with a batch: validated whole, before writing."""

    items = fields.List(fields.Nested(ItemIdentity), required=True,
                        error_messages={'invalid': 'items must be a list of records.'},
                        validate=validate.Length(min=1, max=MAX_BATCH, error=(
                            f'items must hold 1 to {MAX_BATCH} records.')))


class ItemListArgs(ArgsSchema):
    """Query of GET /processed-items."""

    page = QueryInteger(load_default=1, validate=validate.Range(
        min=1, max=MAX_ID, error=f'page must be an integer from 1 to {MAX_ID}.'))
    per_page = QueryInteger(load_default=20, validate=validate.Range(
        min=1, max=100, error='per_page must be an integer from 1 to 100.'))
    flow_id = id_field('flow_id')
    pipeline_id = id_field('pipeline_id')
    job_id = id_field('job_id')
    source_type = text_field('source_type', 100)


class ClearItemsArgs(ArgsSchema):
    """Body of DELETE /processed-items."""

    error_codes = {'clear_type': ('invalid_clear_type',
                                  "Invalid clear type. Must be 'pipeline' or 'flow'.")}

    clear_type = fields.String(required=True, validate=validate.OneOf(('pipeline', 'flow')))
    target_id = id_field('target_id', required=True)


job_list_args = JobListArgs()
clear_jobs_args = ClearJobsArgs()
create_job_args = CreateJobArgs()
update_job_args = UpdateJobArgs()
check_item_args = CheckItemArgs()
record_item_args = RecordItemArgs()
record_items_args = RecordItemsArgs()
item_list_args = ItemListArgs()
clear_items_args = ClearItemsArgs()
