"""The words every layer shares: where the API lives, the job object's keys, the largest storable
id, the timestamp format and the audit log's actions. It imports nothing, so that no module has
to import a higher layer to get a constant."""

API_PREFIX = '/wp-json/datamachine/v1'

# The job object's keys, in the contract's order.
JOB_KEYS = ('job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at',
            'error_message')
# The keys a job object adds with `context=edit` (WordPress's convention for fields beyond the
# public view), or when `_fields` names them: when the job was recorded, its lease (who claimed
# it, with which runner label, its last heartbeat), which attempt it is on, and the job it retries.
JOB_EDIT_KEYS = ('created_at', 'claimed_by', 'runner', 'heartbeat_at', 'attempts', 'retry_of')
ALL_JOB_KEYS = JOB_KEYS + JOB_EDIT_KEYS

MAX_ID = 2**63 - 1  # BIGINT: anything larger cannot be stored, so it names nothing

TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S'  # UTC, as the API writes times

# The destructive calls, by the name their audit records carry.
JOBS_CLEAR = 'jobs.clear'
ITEMS_CLEAR = 'processed_items.clear'
ITEM_DELETE = 'processed_items.delete'
JOB_DELETE = 'jobs.delete'
JOBS_RECOVER_STUCK = 'jobs.recover_stuck'  # not a delete, but it ends or resets others' work
RETENTION_RUN = 'retention.run'
AUDIT_ACTIONS = (JOBS_CLEAR, ITEMS_CLEAR, ITEM_DELETE, JOB_DELETE, JOBS_RECOVER_STUCK,
                 RETENTION_RUN)
# The clears (and retention runs) that may outlive their request (`Prefer: respond-async`),
# and the states of such an operation: waiting for its thread, deleting, and the three ends.
OPERATION_ACTIONS = (JOBS_CLEAR, ITEMS_CLEAR, RETENTION_RUN)
QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = (
    'queued', 'running', 'completed', 'failed', 'cancelled')
OPERATION_STATES = (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)
# The dashboard's session cookie, and the header that must carry its nonce.
SESSION_COOKIE = 'datamachine_session'
NONCE_HEADER = 'X-WP-Nonce'
