"""Parameters of the operations routes."""
from marshmallow import validate

from ..vocabulary import MAX_ID
from .fields import ArgsSchema, QueryInteger


class OperationListArgs(ArgsSchema):
    """Query of GET /operations: newest first, by offset."""

    per_page = QueryInteger(load_default=50, validate=validate.Range(
        min=1, max=100, error='per_page must be an integer from 1 to 100.'))
    offset = QueryInteger(load_default=0, validate=validate.Range(
        min=0, max=MAX_ID, error=f'offset must be an integer from 0 to {MAX_ID}.'))
