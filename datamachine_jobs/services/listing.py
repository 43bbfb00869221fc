"""Listing jobs: filters, ordering, offset and cursor (keyset) pages, exact totals."""
import operator
from functools import reduce

from peewee import fn

from .. import statuses
from ..models import Job, JobCount
from .jobs import JOB_FIELDS, as_dicts

NULLABLE = frozenset(('started_at', 'completed_at'))
WINDOWS = {
    'started_after': (Job.started_at, operator.ge),
    'started_before': (Job.started_at, operator.lt),
    'completed_after': (Job.completed_at, operator.ge),
    'completed_before': (Job.completed_at, operator.lt),
}


def filtered(query, pipeline_id=None, flow_id=None, status=(), model=Job, **windows):
    """Apply the list filters to a query on jobs (or on their counts). Each status matches by the
    base/compound rule, any of them may match; time windows are `_after` inclusive and `_before`
    exclusive."""
    if pipeline_id is not None:
        query = query.where(model.pipeline_id == pipeline_id)
    if flow_id is not None:
        query = query.where(model.flow_id == flow_id)
    if status:
        bases = [s for s in status if not statuses.is_compound(s)]
        exact = [s for s in status if statuses.is_compound(s)]
        matches = ([model.base_status.in_(bases)] if bases else []) + (
            [model.status.in_(exact)] if exact else [])
        query = query.where(reduce(operator.or_, matches))
    for name, moment in windows.items():
        column, compare = WINDOWS[name]
        query = query.where(compare(column, moment))
    return query


def _ordering(orderby, order):
    """ORDER BY terms: the column, then job_id in the same direction, so pages never overlap."""
    direction = 'desc' if order == 'DESC' else 'asc'
    by_id = getattr(Job.job_id, direction)()
    if orderby == 'job_id':
        return [by_id]
    return [getattr(getattr(Job, orderby), direction)(), by_id]


def page_query(orderby='job_id', order='DESC', per_page=50, offset=0, **filters):
    """The query for one page of jobs by offset, as tuples of JOB_FIELDS."""
    return (filtered(Job.select(*JOB_FIELDS), **filters)
            .order_by(*_ordering(orderby, order)).limit(per_page).offset(offset).tuples())


def count_query(**filters):
    """The query counting the jobs that match the filters.

    Without a time window the database's own counts per (pipeline, flow, status) answer it: a
    sum over a few hundred rows, as exact as COUNT(*) and as cheap at 10M jobs as at 10k.
    """
    if any(name in WINDOWS for name in filters):
        return filtered(Job.select(fn.COUNT(Job.job_id)), **filters)
    return filtered(JobCount.select(fn.COALESCE(fn.SUM(JobCount.n), 0)), model=JobCount,
                    **filters)


def _beyond(column, value, descending):
    return column < value if descending else column > value


def keyset_segments(orderby, order, value, last_id):
    """(conditions, ordering) of the queries that list, in order, the rows after a cursor at
    (value, last_id). Each is one index range, so a page costs the same at any depth.

    NULL timestamps sort as the smallest values, so a nullable column is walked in two parts, its
    NULLs and its values, in the order the direction puts them.
    """
    descending = order == 'DESC'
    ordering = _ordering(orderby, order)
    if orderby == 'job_id':
        return [([_beyond(Job.job_id, last_id, descending)], ordering)]
    column = getattr(Job, orderby)
    if value is None:
        after_nulls = ([column.is_null(), _beyond(Job.job_id, last_id, descending)], ordering[1:])
        return [after_nulls] if descending else [after_nulls, ([column.is_null(False)], ordering)]
    # `column >= value` (or <=) bounds the index range; the rest drops the tied rows already seen.
    reach = column <= value if descending else column >= value
    after_value = ([reach, _beyond(column, value, descending)
                    | ((column == value) & _beyond(Job.job_id, last_id, descending))], ordering)
    if orderby in NULLABLE and descending:
        return [after_value, ([column.is_null()], ordering[1:])]
    return [after_value]


def keyset_page(orderby, order, limit, after, **filters):
    """Up to `limit` rows after the cursor position `after` = (orderby value, job_id)."""
    rows = []
    for conditions, ordering in keyset_segments(orderby, order, *after):
        query = filtered(Job.select(*JOB_FIELDS), **filters).where(*conditions)
        rows.extend(query.order_by(*ordering).limit(limit - len(rows)).tuples())
        if len(rows) >= limit:
            break
    return rows


def list_jobs(orderby='job_id', order='DESC', per_page=50, offset=0, after=None, **filters):
    """One page of jobs, the number matching the filters, and whether more follow the page."""
    if after is None:
        rows = list(page_query(orderby, order, per_page + 1, offset, **filters))
    else:
        rows = keyset_page(orderby, order, per_page + 1, after, **filters)
    return as_dicts(rows[:per_page]), int(count_query(**filters).scalar()), len(rows) > per_page
