"""Parameters of the processed-items routes."""
from marshmallow import Schema, fields, validate

from ..vocabulary import MAX_ID
from .fields import ArgsSchema, BodyArgs, QueryInteger, StrictSchema, id_field, text_field

MAX_ITEM_IDENTIFIER = 4096
MAX_BATCH = 1000
MAX_PER_PAGE = 100
MAX_PAGE = MAX_ID // MAX_PER_PAGE  # so that the page's offset still fits a BIGINT


class ItemIdentity(Schema):
    """What identifies a processed item."""

    flow_step_id = text_field('flow_step_id', 255, required=True)
    source_type = text_field('source_type', 100, required=True)
    item_identifier = text_field('item_identifier', MAX_ITEM_IDENTIFIER, required=True)


class CheckItemArgs(ArgsSchema, ItemIdentity):
    """Query of GET /processed-items/check."""


class RecordItemArgs(BodyArgs, ItemIdentity):
    """Body of POST /jobs/<job_id>/processed-items with one record."""


class BatchItem(StrictSchema, ItemIdentity):
    """One record of a batch."""


class RecordItemsArgs(BodyArgs):
    """Body of POST /jobs/<job_id>/processed-items with a batch: validated whole, before writing."""

    items = fields.List(fields.Nested(BatchItem), required=True,
                        error_messages={'invalid': 'items must be a list of records.'},
                        validate=validate.Length(min=1, max=MAX_BATCH, error=(
                            f'items must hold 1 to {MAX_BATCH} records.')))


class ItemListArgs(ArgsSchema):
    """Query of GET /processed-items."""

    page = QueryInteger(load_default=1, validate=validate.Range(
        min=1, max=MAX_PAGE, error=f'page must be an integer from 1 to {MAX_PAGE}.'))
    per_page = QueryInteger(load_default=20, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f'per_page must be an integer from 1 to {MAX_PER_PAGE}.'))
    flow_id = id_field('flow_id')
    pipeline_id = id_field('pipeline_id')
    job_id = id_field('job_id')
    source_type = text_field('source_type', 100)


class ClearItemsArgs(BodyArgs):
    """Body of DELETE /processed-items."""

    error_codes = {'clear_type': ('invalid_clear_type',
                                  "Invalid clear type. Must be 'pipeline' or 'flow'.")}

    clear_type = fields.String(required=True, validate=validate.OneOf(('pipeline', 'flow')))
    target_id = id_field('target_id', required=True)
