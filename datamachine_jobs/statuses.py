"""The job status vocabulary: base statuses, compound `<base> - <reason>` forms, final sets."""

PENDING = 'pending'
PROCESSING = 'processing'
COMPLETED = 'completed'
COMPLETED_NO_ITEMS = 'completed_no_items'
AGENT_SKIPPED = 'agent_skipped'
FAILED = 'failed'
CANCELLED = 'cancelled'

BASE_STATUSES = (PENDING, PROCESSING, COMPLETED, COMPLETED_NO_ITEMS, AGENT_SKIPPED, FAILED,
                 CANCELLED)
FINAL_STATUSES = frozenset((COMPLETED, COMPLETED_NO_ITEMS, AGENT_SKIPPED, FAILED, CANCELLED))
# The final statuses of jobs that ran to an outcome: a success rate is counted over these (a
# cancelled job neither succeeded nor failed).
OUTCOMES = FINAL_STATUSES - {CANCELLED}

SEPARATOR = ' - '
MAX_LENGTH = 100  # the width of the status column


def base_status(status):
    """The part of a stored status before the first ' - ' (the whole status if it has none)."""
    return status.split(SEPARATOR, 1)[0]


def is_compound(status):
    """True when the status carries a reason after its base."""
    return SEPARATOR in status


def canonical(status):
    """The status with a lower-case base and the reason as given (`FAILED - x`: `failed - x`)."""
    base, separator, reason = status.partition(SEPARATOR)
    return base.lower() + separator + reason


def moves_into(base):
    """The base statuses a job may move from into `base`: pending -> processing, and pending or
    processing -> any final status. Nothing moves back to pending or out of a final status."""
    if base == PROCESSING:
        return (PENDING,)
    if base in FINAL_STATUSES:
        return (PENDING, PROCESSING)
    return ()


def count_by_status(rows):
    """{base status: count} from (base status, count) rows, merging any letter-case variants that
    a direct writer may have stored."""
    counts = {}
    for base, count in rows:
        counts[base.lower()] = counts.get(base.lower(), 0) + count
    return counts
