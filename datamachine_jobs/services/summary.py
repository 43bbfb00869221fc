"""Job statistics (GET /jobs/summary): counts by base status, success rate, durations."""
import math

from peewee import fn

from .. import statuses
from ..db import seconds_between
from ..models import Job
from .listing import filtered

SUCCESS = frozenset((statuses.COMPLETED, statuses.COMPLETED_NO_ITEMS, statuses.AGENT_SKIPPED))
PERCENTILES = {'p50': 50, 'p95': 95}


def _stats(by_status, durations):
    """One summary from {base: count} and a histogram {seconds: count} of finished jobs."""
    finished = sum(n for base, n in by_status.items() if base in statuses.FINAL_STATUSES)
    succeeded = sum(n for base, n in by_status.items() if base in SUCCESS)
    return {
        'total': sum(by_status.values()),
        'by_status': {base: by_status.get(base, 0) for base in statuses.BASE_STATUSES},
        'success_rate': round(succeeded / finished, 4) if finished else None,
        'duration_seconds': _duration_stats(durations),
    }


def _duration_stats(histogram):
    """avg, nearest-rank p50 and p95, and max of durations given as {seconds: count}."""
    count = sum(histogram.values())
    if not count:
        return {'avg': None, 'p50': None, 'p95': None, 'max': None}
    values = sorted(histogram)
    stats = {'avg': round(sum(v * n for v, n in histogram.items()) / count, 3)}
    for name, percent in PERCENTILES.items():
        rank, seen = math.ceil(percent / 100 * count), 0
        for value in values:
            seen += histogram[value]
            if seen >= rank:
                stats[name] = value
                break
    stats['max'] = values[-1]
    return stats


def summarize(group_by=None, **filters):
    """Statistics of the jobs matching the filters, overall and, with `group_by`, per group.

    Two grouped queries do the work in the database: counts by base status, and a histogram of
    durations in whole seconds (exact percentiles without fetching every job).
    """
    group = [getattr(Job, group_by)] if group_by else []
    counts = filtered(Job.select(*group, Job.base_status, fn.COUNT(Job.job_id)), **filters)
    duration = seconds_between(Job.started_at, Job.completed_at)
    histogram = (filtered(Job.select(*group, duration, fn.COUNT(Job.job_id)), **filters)
                 .where(Job.started_at.is_null(False), Job.completed_at.is_null(False)))
    by_group, durations = {}, {}
    for *key, base, n in counts.group_by(*group, Job.base_status).tuples():
        statuses_of = by_group.setdefault(tuple(key), {})
        statuses_of[base.lower()] = statuses_of.get(base.lower(), 0) + n
    for *key, seconds, n in histogram.group_by(*group, duration).tuples():
        durations.setdefault(tuple(key), {})[int(seconds)] = n

    overall_counts, overall_durations = {}, {}
    for key, counted in by_group.items():
        for base, n in counted.items():
            overall_counts[base] = overall_counts.get(base, 0) + n
        for seconds, n in durations.get(key, {}).items():
            overall_durations[seconds] = overall_durations.get(seconds, 0) + n
    summary = _stats(overall_counts, overall_durations)
    if group_by:
        summary['groups'] = [{group_by: key[0], **_stats(by_group[key], durations.get(key, {}))}
                             for key in sorted(by_group)]
    return summary
