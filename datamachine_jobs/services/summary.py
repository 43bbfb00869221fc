"""Job statistics (GET /jobs/summary): counts by base status, success rate, durations.

The numbers come from the rollups (migration 0011) wherever their cells answer the question:
without a time window from the all-time cells (per flow when scoped or grouped), and for a
window on one time column (without a flow, pipeline or group) from its day and hour cells, the
partial hours at its edges read from the jobs through the time column's index. Anything else
(a compound status, windows on both time columns, a window with a scope or a group, `stuck` or
`retry_of`) reads the matching jobs. Either way the counts, the success rate, `avg` and `max`
are exact; p50 and p95 are the value of the duration bucket the nearest rank falls in: within
1% of the exact duration, and exact below 100 seconds.
"""
import math
from datetime import datetime, timedelta

from .. import statuses
from ..db import database
from ..migrating import rollups
from ..models import timestamp_text
from . import swap
from .listing import WINDOWS, conditions

SUCCESS = frozenset((statuses.COMPLETED, statuses.COMPLETED_NO_ITEMS, statuses.AGENT_SKIPPED))
PERCENTILES = {'p50': 50, 'p95': 95}
BUCKETS, LOWS = rollups.BUCKETS, rollups.LOWS
FIRST_ID = BUCKETS[0][0]
AXES = {'started_at': (rollups.STARTED_DAY, rollups.STARTED_HOUR),
        'completed_at': (rollups.COMPLETED_DAY, rollups.COMPLETED_HOUR)}
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DURATION_INDEX = 'datamachine_jobs_duration_seconds'


class Tally:
    """What one group's summary is made of: jobs by base status, and the durations of the timed
    ones as a histogram {bucket id: jobs} with their exact sum."""

    def __init__(self):
        self.by_status, self.histogram, self.seconds = {}, {}, 0

    def merge(self, other):
        for base, n in other.by_status.items():
            self.by_status[base] = self.by_status.get(base, 0) + n
        for bucket, n in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + n
        self.seconds += other.seconds

    def top_bucket(self):
        """(low, high) of the highest bucket holding a duration, or None."""
        present = [bucket for bucket, n in self.histogram.items() if n]
        if not present:
            return None
        index = max(present) - FIRST_ID
        high = LOWS[index + 1] - 1 if index + 1 < len(LOWS) else rollups.LONGEST * 10
        return LOWS[index], high

    def stats(self, maximum):
        finished = sum(n for b, n in self.by_status.items() if b in statuses.OUTCOMES)
        succeeded = sum(n for b, n in self.by_status.items() if b in SUCCESS)
        return {
            'total': sum(self.by_status.values()),
            'by_status': {base: self.by_status.get(base, 0) for base in statuses.BASE_STATUSES},
            'success_rate': round(succeeded / finished, 4) if finished else None,
            'duration_seconds': self._durations(maximum),
        }

    def _durations(self, maximum):
        count = sum(self.histogram.values())
        if not count:
            return {'avg': None, 'p50': None, 'p95': None, 'max': None}
        stats = {'avg': round(self.seconds / count, 3)}
        for name, percent in PERCENTILES.items():
            rank, seen = math.ceil(percent / 100 * count), 0
            for bucket in sorted(self.histogram):
                seen += self.histogram[bucket]
                if seen >= rank:
                    stats[name] = BUCKETS[bucket - FIRST_ID][2]
                    break
        stats['max'] = maximum
        return stats


def summarize(group_by=None, **filters):
    """Statistics of the jobs matching the filters, overall and, with `group_by`, per group."""
    tallies = _tallies(_cells(group_by, filters))
    overall = Tally()
    for tally in tallies.values():
        overall.merge(tally)
    maxima = {key: _maximum(tally, group_by, key, filters) for key, tally in tallies.items()}
    summary = overall.stats(max((m for m in maxima.values() if m is not None), default=None))
    if group_by:
        summary['groups'] = [{group_by: key, **tallies[key].stats(maxima[key])}
                             for key in sorted(tallies)]
    return summary


def _tallies(cells):
    """{group: Tally} of (group, base status, duration bucket, jobs, seconds) rows, leaving out
    groups whose cells all hold zero jobs (cells stay when their jobs go)."""
    tallies, untimed = {}, rollups.UNTIMED
    for key, base, bucket, n, seconds in cells:
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = Tally()
        by_status, n, base = tally.by_status, int(n), base.lower()
        by_status[base] = by_status.get(base, 0) + n
        if bucket != untimed:
            histogram = tally.histogram
            histogram[bucket] = histogram.get(bucket, 0) + n
            tally.seconds += int(seconds)
    return {key: tally for key, tally in tallies.items() if any(tally.by_status.values())}


def _cells(group_by, filters):
    """(group, base status, duration bucket, jobs, seconds) rows, from rollups and job rows."""
    plan = _plan(group_by, filters)
    if plan is None:
        yield from _job_cells(group_by, filters)
        return
    rollup_filters, pieces = plan
    for tier, low, high in pieces['cells']:
        yield from _rollup_cells(group_by, tier, low, high, **rollup_filters)
    for window in pieces['rows']:
        yield from _job_cells(group_by, {**rollup_filters, **window})


def _plan(group_by, filters):
    """How the rollups answer these filters: (filters left for the cells, {'cells': [(tier,
    first bucket, end bucket)], 'rows': [windows read from the jobs]}), or None if they cannot."""
    status = filters.get('status', ())
    if any(statuses.is_compound(s) for s in status) or 'stuck' in filters or 'retry_of' in filters:
        return None
    windows = {name: moment for name, moment in filters.items() if name in WINDOWS}
    columns = {WINDOWS[name][0] for name in windows}
    others = {name: value for name, value in filters.items() if name not in WINDOWS}
    if not windows:
        return others, {'cells': [(None, None, None)], 'rows': []}
    if len(columns) > 1 or group_by or filters.get('pipeline_id') or filters.get('flow_id'):
        return None
    column = columns.pop()
    prefix = column.removesuffix('_at')
    try:
        pieces = _window_pieces(column, windows.get(f'{prefix}_after'),
                                windows.get(f'{prefix}_before'))
    except OverflowError:  # a window at the edge of the calendar
        return None
    return others, pieces


def _window_pieces(column, after, before):
    """Split [after, before) into whole days and hours (cells) and the partial hours at its edges
    (job rows). Open ends are None."""
    day_tier, hour_tier = AXES[column]
    prefix = column.removesuffix('_at')
    start = datetime.fromisoformat(after) if after else None
    end = datetime.fromisoformat(before) if before else None
    first_hour = _ceil(start, HOUR)
    last_hour = _floor(end, HOUR)
    if first_hour and last_hour and first_hour >= last_hour:  # not one whole hour inside
        return {'cells': [], 'rows': [_rows_window(prefix, start, end)]}
    rows = []
    if start and start != first_hour:
        rows.append(_rows_window(prefix, start, first_hour))
    if end and end != last_hour:
        rows.append(_rows_window(prefix, last_hour, end))
    first_day, last_day = _ceil(first_hour, DAY), _floor(last_hour, DAY)
    if first_day and last_day and first_day >= last_day:
        return {'cells': [(hour_tier, first_hour, last_hour)], 'rows': rows}
    cells = [(day_tier, first_day, last_day)]
    if first_hour and first_hour != first_day:
        cells.append((hour_tier, first_hour, first_day))
    if last_hour and last_hour != last_day:
        cells.append((hour_tier, last_day, last_hour))
    return {'cells': cells, 'rows': rows}


def _floor(moment, step):
    if moment is None:
        return None
    return moment.replace(minute=0, second=0, **({'hour': 0} if step == DAY else {}))


def _ceil(moment, step):
    floor = _floor(moment, step)
    return floor if floor is None or floor == moment else floor + step


def _rows_window(prefix, start, end):
    window = {}
    if start:
        window[f'{prefix}_after'] = timestamp_text(start)
    if end:
        window[f'{prefix}_before'] = timestamp_text(end)
    return window


def _rollup_cells(group_by, tier, low, high, status=(), pipeline_id=None, flow_id=None):
    """Cells of one tier: all time (tier None: per flow when scoped or grouped, else for all jobs)
    or the buckets of a time tier from `low` (inclusive) to `high` (exclusive)."""
    mark = database.param
    terms, params = [], []
    if tier is None:
        per_flow = bool(group_by or pipeline_id or flow_id)
        tier = rollups.FLOW_ALL_TIME if per_flow else rollups.ALL_TIME
        if not per_flow:
            terms.append('pipeline_id = 0 AND flow_id = 0')
        if flow_id is not None and pipeline_id is None:
            # The cells are keyed by pipeline first: name the flow's pipelines to seek to them.
            pipelines = [p for (p,) in database.execute_sql(
                'SELECT DISTINCT pipeline_id FROM datamachine_job_counts WHERE flow_id = '
                f'{mark}', (flow_id,)).fetchall()]
            if not pipelines:
                return
            terms.append(f'pipeline_id IN ({", ".join([mark] * len(pipelines))})')
            params.extend(pipelines)
        for name, value in (('pipeline_id', pipeline_id), ('flow_id', flow_id)):
            if value is not None:
                terms.append(f'{name} = {mark}')
                params.append(value)
    else:
        terms.append('pipeline_id = 0 AND flow_id = 0')
        length = 10 if tier in (rollups.STARTED_DAY, rollups.COMPLETED_DAY) else 13
        for operator, moment in (('>=', low), ('<', high)):
            if moment is not None:
                terms.append(f'bucket {operator} {mark}')
                params.append(timestamp_text(moment)[:length])
    if status:
        terms.append(f'base_status IN ({", ".join([mark] * len(status))})')
        params.extend(status)
    where = f'WHERE tier = {mark}{"".join(" AND " + t for t in terms)}'
    key = group_by or '0'
    if tier in (rollups.ALL_TIME, rollups.FLOW_ALL_TIME):  # one bucket: the cells as they are
        sql = f'SELECT {key}, base_status, duration_bucket, n, seconds FROM {rollups.TABLE} {where}'
    else:  # the buckets of a span, added up by the database
        sql = (f'SELECT 0, base_status, duration_bucket, SUM(n), SUM(seconds) '
               f'FROM {rollups.TABLE} {where} GROUP BY base_status, duration_bucket')
    yield from database.execute_sql(sql, [tier, *params]).fetchall()


def _job_cells(group_by, filters):
    """The same rows read from the matching jobs, their durations put in buckets here."""
    terms, params = conditions(**filters)
    where = f' WHERE {" AND ".join(terms)}' if terms else ''
    group = f'{group_by}, ' if group_by else ''
    sql = (f'SELECT {group or "0, "}MIN(base_status), duration_seconds, COUNT(*) '
           f'FROM datamachine_jobs{where} GROUP BY {group}base_status, duration_seconds')
    for key, base, seconds, n in database.execute_sql(sql, params).fetchall():
        if seconds is None:
            yield key, base, rollups.UNTIMED, n, 0
        else:
            yield key, base, rollups.duration_bucket(seconds), n, seconds * n


def _maximum(tally, group_by, key, filters):
    """The exact longest duration: the highest bucket's value when it holds one second, else the
    longest matching job in its range, found through the duration index."""
    top = tally.top_bucket()
    if top is None or top[0] == top[1]:
        return top and top[0]
    low, high = top
    terms, params = conditions(**filters)
    if group_by:
        terms.append(f'{group_by} = {database.param}')
        params.append(key)
    sql = (f'SELECT duration_seconds FROM datamachine_jobs{swap.index_hint(DURATION_INDEX)} '
           f'WHERE duration_seconds BETWEEN {database.param} AND {database.param}'
           f'{"".join(" AND " + t for t in terms)} ORDER BY duration_seconds DESC LIMIT 1')
    row = database.execute_sql(sql, [low, high, *params]).fetchone()
    return row and int(row[0])
