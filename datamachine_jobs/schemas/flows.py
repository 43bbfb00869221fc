"""Parameters of GET /flows/health."""
from marshmallow import fields, validate

from .fields import ArgsSchema, Duration, FlexibleBoolean, QueryInteger, id_field

DAY = 86400


class FlowHealthArgs(ArgsSchema):
    """Query of GET /flows/health."""

    window = Duration(load_default=DAY, metadata={'description': (
        'How far back runs count, by completion time: `24h`, `7d`, or seconds. Default a day.')})
    pipeline_id = id_field('pipeline_id')
    problems = FlexibleBoolean(load_default=False, metadata={'description': (
        'Only the flows with at least min_consecutive_failures failures since their last '
        'success, or a success rate under min_success_rate in the window.')})
    min_consecutive_failures = QueryInteger(load_default=3, validate=validate.Range(
        min=1, max=1000000, error='min_consecutive_failures must be an integer from 1 to '
                                  '1000000.'))
    min_success_rate = fields.Float(load_default=0.5, validate=validate.Range(
        min=0, max=1, error='min_success_rate must be a number from 0 to 1.'),
        error_messages={'invalid': 'min_success_rate must be a number from 0 to 1.'})
