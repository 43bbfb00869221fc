"""Parameters of the retention routes."""
from marshmallow import ValidationError, fields, validate

from .. import statuses
from .fields import BodyArgs, Duration, FlexibleBoolean, QueryInteger

RULE_STATUSES = tuple(s for s in statuses.BASE_STATUSES if s in statuses.FINAL_STATUSES)
MAX_KEEP = 1000000


class StatusAges(fields.Field):
    """{final base status: age}: how long after completion finished jobs of that status stay."""

    AGE = Duration()

    def _deserialize(self, value, attr, data, **kwargs):
        rule = (f'{attr} must map final statuses ({", ".join(RULE_STATUSES)}) to ages such as '
                '30d, 12h or 90m, or seconds; pending and processing jobs are never deleted by '
                'retention.')
        if not isinstance(value, dict):
            raise ValidationError(rule)
        ages = {}
        for status, age in value.items():
            if not isinstance(status, str) or status.lower() not in RULE_STATUSES:
                raise ValidationError(rule)
            try:
                ages[status.lower()] = self.AGE.deserialize(age, attr)
            except ValidationError:
                raise ValidationError(rule) from None
        return {status: ages[status] for status in RULE_STATUSES if status in ages}

    def json_schema(self):
        return {'type': 'object', 'additionalProperties': False, 'properties': {
            status: self.AGE.json_schema() for status in RULE_STATUSES}}


class RetentionRulesArgs(BodyArgs):
    """Body of PUT /retention: every rule at once (a rule left out is removed)."""

    jobs = StatusAges(required=True, metadata={'description': (
        'Per final base status, how long after completion its jobs stay, e.g. '
        '{"completed": "30d", "failed": "90d"}; {} for none. Required, so that an empty '
        'request never removes every rule.')})
    keep_per_flow = QueryInteger(load_default=0, validate=validate.Range(
        min=0, max=MAX_KEEP, error=f'keep_per_flow must be an integer from 0 to {MAX_KEEP}.'),
        metadata={'description': 'The newest finished jobs of each flow that stay whatever '
                                 'their age.'})
    processed_items = Duration(allow_none=True, load_default=None, metadata={'description': (
        'How long after processing a deduplication record stays (null: for ever).')})


class RetentionRunArgs(BodyArgs):
    """Body of POST /retention/run."""

    dry_run = FlexibleBoolean(load_default=False)
