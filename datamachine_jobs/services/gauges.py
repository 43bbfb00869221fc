"""What /metrics reads from the database at each scrape."""
from .. import statuses
from ..db import database
from . import leases
from .listing import index_hint

JOBS_BY_STATUS_SQL = ('SELECT base_status, COALESCE(SUM(n), 0) FROM datamachine_job_counts '
                      'GROUP BY base_status')


def jobs_by_status():
    """{base status: jobs}, from the counts the database keeps."""
    return dict(database.execute_sql(JOBS_BY_STATUS_SQL).fetchall())


def oldest_pending_created_at():
    """When the oldest pending job (the one with the smallest id, one index step away) was
    created, or None when none is pending."""
    row = database.execute_sql(
        f'SELECT created_at FROM datamachine_jobs'
        f'{index_hint("job_id", status=(statuses.PENDING,))} '
        f'WHERE base_status = {database.param} ORDER BY job_id LIMIT 1',
        (statuses.PENDING,)).fetchone()
    return row[0] if row else None


def stuck_jobs(processing_before, pending_before):
    """How many jobs are stuck at these cut-offs (leases.cutoffs)."""
    condition, params = leases.stuck_condition(processing_before, pending_before)
    return database.execute_sql(f'SELECT COUNT(*) FROM datamachine_jobs WHERE {condition}',
                                params).fetchone()[0]


def oldest_processing_started_at():
    """When the processing job that started first started, or None when none is processing."""
    return database.execute_sql(
        'SELECT MIN(COALESCE(started_at, created_at)) FROM datamachine_jobs '
        f'WHERE base_status = {database.param}', (statuses.PROCESSING,)).fetchone()[0]
