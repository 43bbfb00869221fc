"""Clearing jobs (DELETE /jobs): all or failed, optionally by age and scope, or a dry run."""
from peewee import fn

from .. import statuses
from ..db import database, is_mysql
from ..models import Job, ProcessedItem
from ..statuses import count_by_status
from . import swap, swap_mysql
from .batches import delete_in_batches
from .counting import add_counts, deferred_counting


def job_bound():
    """The highest job id now: a clear bounded by it never touches jobs created after it began."""
    return Job.select(fn.MAX(Job.job_id)).scalar() or 0


def _matching(failed_only, bound, older_than=None, pipeline_id=None, flow_id=None):
    """The ids of the jobs a clear would delete, among those up to `bound`.

    An age-limited clear takes only finished jobs, so pending and processing ones always stay.
    """
    query = Job.select(Job.job_id).where(Job.job_id <= bound)
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


def clear_jobs(failed_only, cleanup_processed, batch_size, bound, progress, proceed=None,
               **scope):
    """Delete the matching jobs up to `bound`, telling `progress(jobs=, processed_items=)` what
    each batch deleted, inside the batch's transaction; `proceed()` may stop it between batches.

    Each batch of jobs goes in one transaction with the processed items of exactly those jobs, so
    an interruption leaves no orphaned records and a rerun finishes the work. A clear of every job
    swaps the tables instead (services.swap, services.swap_mysql) and returns the thread that
    frees the old ones, for a caller that must wait for it.
    """
    if not (failed_only or scope):
        if proceed is not None and not proceed():
            return None
        if is_mysql():  # the swap commits at its RENAME TABLE, the progress right after
            jobs, items = swap_mysql.swap_all(bound, cleanup_processed)
            with database.atomic():
                progress(jobs=jobs, processed_items=items)
        else:
            with database.atomic():
                jobs, items = swap.swap_all(bound, cleanup_processed)
                progress(jobs=jobs, processed_items=items)
        return free_set_aside()

    delete_in_batches(_matching(failed_only, bound, **scope), Job.job_id, batch_size,
                      lambda ids: delete_jobs(ids, cleanup_processed, progress), proceed)
    return None


def delete_jobs(ids, cleanup_processed, progress):
    """Delete these jobs (and, with `cleanup_processed`, their processed items) inside the
    caller's transaction, counting them down in one grouped statement rather than row by row;
    tell `progress(jobs=, processed_items=)` what went."""
    # SQL text: peewee spends longer converting ten thousand ids than SQLite deleting them.
    chosen = f'job_id IN ({", ".join([database.param] * len(ids))})'
    with deferred_counting():
        add_counts(chosen, ids, -1)
        items = 0
        if cleanup_processed:
            items = database.execute_sql(
                f'DELETE FROM datamachine_processed_items WHERE {chosen}', ids).rowcount
        progress(jobs=database.execute_sql(
            f'DELETE FROM datamachine_jobs WHERE {chosen}', ids).rowcount,
            processed_items=items)


def free_set_aside():
    """Free, in a background thread that it returns, the tables swaps set aside, and on MariaDB
    what a swap that a crash stopped half-way left (a worker does this as it starts)."""
    return swap.free_in_background(swap_mysql.drop_cleared if is_mysql() else swap.free_cleared)


def preview_clear(failed_only, cleanup_processed, bound=None, **scope):
    """What clear_jobs would delete now (up to `bound`, or every job there is): (jobs, processed
    items, {base status: jobs})."""
    matching = _matching(failed_only, job_bound() if bound is None else bound, **scope)
    by_status = count_by_status(Job.select(Job.base_status, fn.COUNT(Job.job_id))
                                .where(Job.job_id.in_(matching)).group_by(Job.base_status).tuples())
    items = 0
    if cleanup_processed:
        items = (ProcessedItem.select(fn.COUNT(ProcessedItem.id))
                 .where(ProcessedItem.job_id.in_(matching)).scalar())
    return sum(by_status.values()), items, by_status
