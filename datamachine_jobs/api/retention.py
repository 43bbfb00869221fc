"""Retention: its rules (GET/PUT), what a run would delete now, and the run, audited."""
from flask import Blueprint

from ..auth import protect
from ..config import settings
from ..models import utcnow
from ..schemas import retention_rules_args, retention_run_args
from ..services import audit, retention
from ..services.processed_items import item_bound
from ..vocabulary import RETENTION_RUN
from .audited import audited
from .idempotent import idempotent
from .operations import accepted, prefers_async
from .params import body_params, parse

bp = Blueprint('retention', __name__)
protect(bp)


@bp.get('/retention')
def show_retention():
    """The rules, and the last run's audit record (null before the first)."""
    records, _ = audit.list_records(1, 0, RETENTION_RUN)
    return {'success': True, 'data': retention.get_rules(),
            'last_run': records[0] if records else None}


@bp.put('/retention')
def replace_retention():
    """Replace every rule at once; a rule left out is removed."""
    rules = retention.set_rules(**parse(retention_rules_args, body_params()))
    return {'success': True, 'data': rules}


@bp.get('/retention/preview')
def preview_retention():
    """What a run would delete now, by rule, with exact counts."""
    return summed(retention.preview(retention.get_rules()), dry_run=True)


@bp.post('/retention/run')
@idempotent(operation=True)
def run_retention():
    """Apply the rules now (or, with dry_run, preview them), audited with the rows per rule; with
    Prefer: respond-async, answer 202 at once and run in the background."""
    received = body_params()
    if parse(retention_run_args, received)['dry_run']:
        return summed(retention.preview(retention.get_rules()), dry_run=True)
    rules = retention.get_rules()
    if prefers_async():
        return accepted(RETENTION_RUN, received, {'rules': rules, 'now': utcnow(),
                                                  'items_bound': item_bound()})
    with audited(RETENTION_RUN, {**received, 'rules': rules}) as operation:
        done = retention.run(rules, settings().clear_batch_size, operation.progress)
    return summed(done, dry_run=False)


def summed(rules, dry_run):
    """A preview's or a run's answer: each rule's rows, and the totals of jobs and items."""
    verb = 'matched' if dry_run else 'deleted'
    jobs = sum(rule['rows'] for rule in rules if rule['rule'] != retention.ITEMS)
    items = sum(rule['rows'] for rule in rules if rule['rule'] == retention.ITEMS)
    return {'success': True, 'dry_run': dry_run, 'rules': rules, f'jobs_{verb}': jobs,
            f'processed_items_{verb}': items}
