"""Retention: rules kept in the database (per base status, an age after which finished jobs go;
how many newest finished jobs of each flow stay whatever their age; an age for processed items),
what a run would delete now, and the run itself.

A run deletes in the clears' batches (services.batches), bounded by the highest job and item ids
when it began, so jobs and items recorded meanwhile are never touched. Pending and processing
jobs are never deleted: only the final statuses have rules.
"""
from dataclasses import dataclass
from datetime import UTC, datetime

from peewee import SQL

from .. import statuses
from ..db import database
from ..models import Job, ProcessedItem, RetentionRule, time_before
from .batches import delete_in_batches
from .clearing import delete_jobs, job_bound
from .processed_items import item_bound

# Final statuses in the order the API lists statuses: the job rules a run applies in turn.
RULE_STATUSES = tuple(s for s in statuses.BASE_STATUSES if s in statuses.FINAL_STATUSES)
KEEP_PER_FLOW, ITEMS = 'keep_per_flow', 'processed_items'
JOB_RULE = 'jobs.'  # a job rule's stored name: jobs.<base status>


@dataclass(frozen=True)
class Step:
    """One rule as a run applies it: its name, the cut-off its age gives now, and the rows it
    takes (a peewee query of ids up to the run's bounds)."""

    rule: str
    older_than: str
    rows: object
    table: str


def get_rules():
    """The rules: {'jobs': {base status: seconds}, 'keep_per_flow': n, 'processed_items':
    seconds or None}."""
    stored = dict(RetentionRule.select(RetentionRule.name, RetentionRule.value).tuples())
    return {'jobs': {s: stored[JOB_RULE + s] for s in RULE_STATUSES if JOB_RULE + s in stored},
            KEEP_PER_FLOW: stored.get(KEEP_PER_FLOW, 0), ITEMS: stored.get(ITEMS)}


def set_rules(jobs, keep_per_flow=0, processed_items=None):
    """Replace every rule at once; return them as get_rules does."""
    rows = [(JOB_RULE + status, seconds) for status, seconds in jobs.items()]
    rows += [(KEEP_PER_FLOW, keep_per_flow)] if keep_per_flow else []
    rows += [(ITEMS, processed_items)] if processed_items is not None else []
    with database.atomic():
        RetentionRule.delete().execute()
        if rows:
            RetentionRule.insert_many(rows, fields=[RetentionRule.name,
                                                    RetentionRule.value]).execute()
    return get_rules()


def steps(rules, now=None, jobs_bound=None, items_bound=None):
    """The rules as a run applies them at `now` (a naive UTC datetime; by default now), each
    bounded by the ids given, or by those there are now."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    jobs_bound = job_bound() if jobs_bound is None else jobs_bound
    items_bound = item_bound() if items_bound is None else items_bound
    kept = _kept_from(rules[KEEP_PER_FLOW], jobs_bound)
    found = []
    for status, seconds in rules['jobs'].items():
        cut = time_before(now, seconds)
        query = Job.select(Job.job_id).where(Job.job_id <= jobs_bound,
                                             Job.base_status == status, Job.completed_at < cut)
        if kept is not None:
            query = query.where(SQL(f'job_id < {kept}'))
        found.append(Step(JOB_RULE + status, cut, query, 'jobs'))
    if rules[ITEMS] is not None:
        cut = time_before(now, rules[ITEMS])
        found.append(Step(ITEMS, cut, ProcessedItem.select(ProcessedItem.id).where(
            ProcessedItem.id <= items_bound, ProcessedItem.processed_at < cut), ITEMS))
    return found


def preview(rules, **fixed):
    """What a run would delete now (or at the `steps` arguments given): [{rule, older_than,
    rows}], exact."""
    return [{'rule': step.rule, 'older_than': step.older_than, 'rows': step.rows.count()}
            for step in steps(rules, **fixed)]


def run(rules, batch_size, progress, proceed=None, **fixed):
    """Apply the rules in turn, telling `progress(**{rule: rows, table: rows})` what each batch
    deleted, inside the batch's transaction (the audit record counts per rule and per table);
    return [{rule, older_than, rows}]. `fixed` holds what a resumed run keeps of the first one
    (steps' now and bounds). Jobs go without their processed items: those have their own rule."""
    return [{'rule': step.rule, 'older_than': step.older_than,
             'rows': _apply(step, batch_size, progress, proceed)}
            for step in steps(rules, **fixed)]


def _apply(step, batch_size, progress, proceed):
    """Delete what one rule takes, in batches; return how many rows went."""
    deleted = [0]

    def counted(**rows):
        deleted[0] += rows[step.table]
        progress(**{step.rule: rows[step.table], step.table: rows[step.table]})

    if step.table == 'jobs':
        delete_in_batches(step.rows, Job.job_id, batch_size,
                          lambda ids: delete_jobs(ids, False, counted), proceed)
    else:
        delete_in_batches(step.rows, ProcessedItem.id, batch_size, lambda ids: counted(
            processed_items=ProcessedItem.delete().where(ProcessedItem.id.in_(ids)).execute()),
            proceed)
    return deleted[0]


def _kept_from(keep, bound):
    """SQL text of the first job id each flow keeps whatever its age (the `keep`-th newest of its
    finished jobs up to `bound`; 0 when it has no more than `keep`, so it keeps them all), or
    None when no rule keeps any. One index walk per flow: the flows come from the counts table."""
    if not keep:
        return None
    finished = sorted(statuses.FINAL_STATUSES)
    flows = [flow for (flow,) in database.execute_sql(
        'SELECT DISTINCT flow_id FROM datamachine_job_counts WHERE n > 0').fetchall()]
    cases = []
    for flow in flows:
        first = (Job.select(Job.job_id)
                 .where(Job.flow_id == flow, Job.job_id <= bound, Job.base_status.in_(finished))
                 .order_by(Job.job_id.desc()).limit(1).offset(keep - 1).scalar())
        cases.append(f'WHEN {int(flow)} THEN {int(first or 0)}')
    if not cases:
        return '0'
    return f'(CASE flow_id {" ".join(cases)} ELSE 0 END)'

