"""Clearing jobs (DELETE /jobs): all or failed, optionally by age and scope, or a dry run."""
from peewee import fn

from .. import statuses
from ..db import database
from ..models import Job, ProcessedItem
from ..statuses import count_by_status
from .batches import delete_in_batches
from .counting import add_counts, deferred_counting


def _matching(failed_only, older_than=None, pipeline_id=None, flow_id=None):
    """The ids of the jobs a clear would delete, among those that exist now.

    Jobs created after this moment have larger ids than the bound and are never touched. An
    age-limited clear takes only finished jobs, so pending and processing ones always stay.
    """
    bound = Job.select(fn.MAX(Job.job_id)).scalar()
    query = Job.select(Job.job_id).where(Job.job_id <= (bound or 0))
    if failed_only:
        query = query.where(Job.base_status == statuses.FAILED)
    if older_than is not None:
        query = query.where(Job.base_status.in_(sorted(statuses.FINAL_STATUSES)),
                            Job.completed_at < older_than)
    if pipeline_id is not None:
        query = query.where(Job.pipeline_id == pipeline_id)
    if flow_id is not None:
        query = query.where(Job.flow_id == flow_id)
    return query


def clear_jobs(failed_only, cleanup_processed, batch_size=1000, **scope):
    """Delete the matching jobs; return (jobs, processed items) deleted.

    Each batch of jobs goes in one transaction with the processed items of exactly those jobs, so
    an interruption leaves no orphaned records and a rerun finishes the work.
    """
    items_deleted = 0

    def delete(ids):
        nonlocal items_deleted
        with deferred_counting():
            add_counts(f'job_id IN ({", ".join([database.param] * len(ids))})', ids, -1)
            if cleanup_processed:
                items_deleted += (ProcessedItem.delete()
                                  .where(ProcessedItem.job_id.in_(ids)).execute())
            return Job.delete().where(Job.job_id.in_(ids)).execute()

    jobs_deleted = delete_in_batches(_matching(failed_only, **scope), Job.job_id, batch_size,
                                     delete)
    return jobs_deleted, items_deleted


def preview_clear(failed_only, cleanup_processed, **scope):
    """What clear_jobs would delete now: (jobs, processed items, {base status: jobs})."""
    matching = _matching(failed_only, **scope)
    by_status = count_by_status(Job.select(Job.base_status, fn.COUNT(Job.job_id))
                                .where(Job.job_id.in_(matching)).group_by(Job.base_status).tuples())
    items = 0
    if cleanup_processed:
        items = (ProcessedItem.select(fn.COUNT(ProcessedItem.id))
                 .where(ProcessedItem.job_id.in_(matching)).scalar())
    return sum(by_status.values()), items, by_status
