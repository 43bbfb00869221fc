"""The answers of the clears (and retention runs): the same whether the client waited for its
clear or reads it later as the result of the operation it asked for."""
from ..vocabulary import ITEMS_CLEAR, JOBS_CLEAR, RETENTION_RUN


def jobs_cleared(rows):
    """DELETE /jobs's answer, from the rows the clear deleted."""
    return {'success': True, 'message': 'Jobs cleared successfully.', 'jobs_deleted': rows['jobs'],
            'processed_items_cleaned': rows['processed_items']}


def items_cleared(rows):
    """DELETE /processed-items's answer, from the rows the clear deleted."""
    deleted = rows['processed_items']
    return {'success': True, 'data': None,
            'message': f'Deleted {deleted} deduplication tracking records.',
            'items_deleted': deleted}


def retention_ran(rows):
    """POST /retention/run's totals, from the rows the run deleted (its rules' rows are in its
    audit record)."""
    return {'success': True, 'dry_run': False, 'jobs_deleted': rows['jobs'],
            'processed_items_deleted': rows['processed_items']}


ANSWERS = {JOBS_CLEAR: jobs_cleared, ITEMS_CLEAR: items_cleared, RETENTION_RUN: retention_ran}
