"""Parameters of GET /audit."""
from marshmallow import fields, validate

from ..vocabulary import AUDIT_ACTIONS, MAX_ID
from .fields import ArgsSchema, QueryInteger, text_field


class AuditListArgs(ArgsSchema):
    """Query of GET /audit: newest first, by offset, optionally one action or one user."""

    per_page = QueryInteger(load_default=50, validate=validate.Range(
        min=1, max=100, error='per_page must be an integer from 1 to 100.'))
    offset = QueryInteger(load_default=0, validate=validate.Range(
        min=0, max=MAX_ID, error=f'offset must be an integer from 0 to {MAX_ID}.'))
    action = fields.String(validate=validate.OneOf(
        AUDIT_ACTIONS, error=f'action must be one of: {", ".join(AUDIT_ACTIONS)}.'))
    username = text_field('username', 60)
