"""Listing jobs: filters, ordering, offset and cursor (keyset) pages, exact totals.

This is the hot path, so its SQL is written as text with bound parameters rather than built by
the ORM per request (which cost more than running the queries). The same filter text serves the
summary and the clears through peewee's SQL().
"""
from peewee import SQL

from .. import statuses
from ..db import database, is_mysql
from . import leases
from .jobs import as_dicts, columns

NULLABLE = frozenset(('started_at', 'completed_at'))
# The jobs table's ordered indexes and their names (see migrations/), by their columns.
ORDERED_INDEXES = {columns: 'job_' + '_'.join(columns) for columns in [
    ('base_status', 'job_id'), ('status', 'job_id'), ('pipeline_id', 'job_id'),
    ('flow_id', 'job_id'), ('started_at', 'job_id'), ('completed_at', 'job_id'),
    ('pipeline_id', 'base_status', 'job_id'), ('flow_id', 'base_status', 'job_id')]}
ORDERED_INDEXES[('base_status', 'completed_at', 'job_id')] = (
    'datamachine_jobs_base_status_completed_at_flow')  # then flow_id, pipeline_id
WINDOWS = {
    'started_after': ('started_at', '>='),
    'started_before': ('started_at', '<'),
    'completed_after': ('completed_at', '>='),
    'completed_before': ('completed_at', '<'),
}


def conditions(pipeline_id=None, flow_id=None, status=(), retry_of=None, stuck=None,
               stuck_before=None, **windows):
    """WHERE terms and their parameters for the list filters. Each status matches by the
    base/compound rule and any of them may match; `_after` is inclusive, `_before` exclusive;
    `retry_of` keeps the retries of one job; `stuck` keeps the jobs stuck (or, false, not stuck)
    at the `stuck_before` cut-offs (leases.cutoffs). Without these two, the column names are
    those of both the jobs table and its counts table."""
    mark = database.param
    terms, params = [], []
    for column, value in (('pipeline_id', pipeline_id), ('flow_id', flow_id),
                          ('retry_of', retry_of)):
        if value is not None:
            terms.append(f'{column} = {mark}')
            params.append(value)
    if status:
        matches = []
        for column, values in (
                ('base_status', [s for s in status if not statuses.is_compound(s)]),
                ('status', [s for s in status if statuses.is_compound(s)])):
            if len(values) == 1:  # plain equality: some planners order by an index better
                matches.append(f'{column} = {mark}')
            elif values:
                matches.append(f'{column} IN ({", ".join([mark] * len(values))})')
            params.extend(values)
        terms.append('(' + ' OR '.join(matches) + ')')
    for name, moment in windows.items():
        column, operator = WINDOWS[name]
        terms.append(f'{column} {operator} {mark}')
        params.append(moment)
    if stuck is not None:
        condition, values = leases.stuck_condition(*stuck_before)
        terms.append(condition if stuck else f'NOT {condition}')
        params.extend(values)
    return terms, params


def index_hint(orderby, pipeline_id=None, flow_id=None, status=(), **windows):
    """` FORCE INDEX (...)` on MySQL when an index holds exactly the equality filters then the
    order, else ''. Depending on its statistics, MariaDB's ORDER-BY-LIMIT heuristic may walk the
    primary key backwards for `base_status = ? ORDER BY job_id DESC LIMIT n` (seen at 1M jobs:
    6.7 ms a page against 0.2 ms); the hint keeps the plan whatever the statistics say."""
    if not is_mysql() or windows or len(status) > 1:
        return ''
    columns = [name for name, value in (('pipeline_id', pipeline_id), ('flow_id', flow_id))
               if value is not None]
    columns += [('status' if statuses.is_compound(s) else 'base_status') for s in status]
    columns += [orderby, 'job_id'] if orderby != 'job_id' else ['job_id']
    index = ORDERED_INDEXES.get(tuple(columns))
    return f' FORCE INDEX ({index})' if index else ''


def filtered(query, **filters):
    """Apply the list filters to a peewee query on jobs."""
    terms, params = conditions(**filters)
    return query.where(SQL(' AND '.join(terms), params)) if terms else query


def _where(terms):
    return f' WHERE {" AND ".join(terms)}' if terms else ''


def _ordering(orderby, order, table=''):
    """ORDER BY text: the column, then job_id in the same direction, so pages never overlap."""
    if orderby == 'job_id':
        return f'{table}job_id {order}'
    return f'{table}{orderby} {order}, {table}job_id {order}'


def _page_sql(terms, params, orderby, order, limit, offset=0, hint='', edit=False):
    """(SQL, parameters) of a page as a deferred join: the page's job ids are picked from an
    index alone, then only those rows are read. Without it MariaDB reads and discards whole rows
    while it walks to the page (an offset, or a cursor's start inside a status)."""
    mark = database.param
    skip = f' OFFSET {mark}' if offset else ''
    outer = ', '.join(f'j.{column}' for column in columns(edit).split(', '))
    return (f'SELECT {outer} FROM datamachine_jobs j JOIN '
            f'(SELECT job_id FROM datamachine_jobs{hint}{_where(terms)} '
            f'ORDER BY {_ordering(orderby, order)} LIMIT {mark}{skip}) page '
            f'ON page.job_id = j.job_id ORDER BY {_ordering(orderby, order, "j.")}',
            [*params, limit, *([offset] if offset else [])])


def page_sql(orderby='job_id', order='DESC', per_page=50, offset=0, edit=False, **filters):
    """(SQL, parameters) of one page of jobs by offset."""
    terms, params = conditions(**filters)
    return _page_sql(terms, params, orderby, order, per_page, offset,
                     index_hint(orderby, **filters), edit)


def count_sql(**filters):
    """(SQL, parameters) counting the jobs that match the filters.

    Without a time window (or `stuck`, `retry_of`) the database's own counts per (pipeline,
    flow, status) answer it: a sum over a few hundred rows, as exact as COUNT(*) and as cheap at
    10M jobs as at 10k.
    """
    terms, params = conditions(**filters)
    if any(name in WINDOWS or name in ('stuck', 'retry_of') for name in filters):
        return f'SELECT COUNT(*) FROM datamachine_jobs{_where(terms)}', params
    return f'SELECT COALESCE(SUM(n), 0) FROM datamachine_job_counts{_where(terms)}', params


def _beyond(column, descending):
    return f'{column} {"<" if descending else ">"} {database.param}'


def keyset_segments(orderby, order, value, last_id):
    """(terms, parameters, column to order by) of the queries that list, in order, the rows after
    a cursor at (value, last_id). Each is one index range, so a page costs the same at any depth.

    NULL timestamps sort as the smallest values, so a nullable column is walked in two parts, its
    NULLs and its values, in the order the direction puts them.
    """
    descending = order == 'DESC'
    if orderby == 'job_id':
        return [([_beyond('job_id', descending)], [last_id], 'job_id')]
    if value is None:
        after_nulls = ([f'{orderby} IS NULL', _beyond('job_id', descending)], [last_id], 'job_id')
        rest = [] if descending else [([f'{orderby} IS NOT NULL'], [], orderby)]
        return [after_nulls, *rest]
    # `column >= value` (or <=) bounds the index range; the rest drops the tied rows already seen.
    mark = database.param
    reach = f'{orderby} {"<=" if descending else ">="} {mark}'
    after_value = ([reach, f'({_beyond(orderby, descending)} OR ({orderby} = {mark} AND '
                           f'{_beyond("job_id", descending)}))'],
                   [value, value, value, last_id], orderby)
    if orderby in NULLABLE and descending:
        return [after_value, ([f'{orderby} IS NULL'], [], 'job_id')]
    return [after_value]


def _fetch(sql, params):
    return database.execute_sql(sql, params).fetchall()


def keyset_page(orderby, order, limit, after, edit=False, **filters):
    """Up to `limit` rows after the cursor position `after` = (orderby value, job_id)."""
    terms, params = conditions(**filters)
    rows = []
    for extra_terms, extra_params, column in keyset_segments(orderby, order, *after):
        rows += _fetch(*_page_sql(terms + extra_terms, [*params, *extra_params], column, order,
                                  limit - len(rows), hint=index_hint(column, **filters),
                                  edit=edit))
        if len(rows) >= limit:
            break
    return rows


def list_jobs(orderby='job_id', order='DESC', per_page=50, offset=0, after=None, edit=False,
              **filters):
    """One page of jobs (with the edit keys when `edit`), the number matching the filters, and
    whether more follow the page."""
    if after is None:
        rows = _fetch(*page_sql(orderby, order, per_page + 1, offset, edit, **filters))
    else:
        rows = keyset_page(orderby, order, per_page + 1, after, edit, **filters)
    total = int(_fetch(*count_sql(**filters))[0][0])
    return as_dicts(rows[:per_page], edit), total, len(rows) > per_page


def walk(order='ASC', edit=False, batch=1000, **filters):
    """Every job matching the filters, by job_id in `order`, as job objects: a keyset walk in
    pages of `batch`, so memory stays bounded and each page costs the same at any depth."""
    rows = _fetch(*page_sql('job_id', order, batch, 0, edit, **filters))
    while rows:
        jobs = as_dicts(rows, edit)
        yield from jobs
        if len(rows) < batch:
            return
        last = jobs[-1]['job_id']
        rows = keyset_page('job_id', order, batch, (last, last), edit, **filters)
