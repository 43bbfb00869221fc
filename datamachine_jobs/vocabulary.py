"""The words every layer shares: where the API lives, the job object's keys, the largest storable
id, the timestamp format and the audit log's actions. It imports nothing, so that no module has
to import a higher layer to get a constant."""

API_PREFIX = '/wp-json/datamachine/v1'

# The job object's keys, in the contract's order.
JOB_KEYS = ('job_id', 'flow_id', 'pipeline_id', 'status', 'started_at', 'completed_at',
            'error_message')

MAX_ID = 2**63 - 1  # BIGINT: anything larger cannot be stored, so it names nothing

TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S'  # UTC, as the API writes times

# The destructive calls, by the name their audit records carry.
JOBS_CLEAR = 'jobs.clear'
ITEMS_CLEAR = 'processed_items.clear'
ITEM_DELETE = 'processed_items.delete'
AUDIT_ACTIONS = (JOBS_CLEAR, ITEMS_CLEAR, ITEM_DELETE)
# The clears that may outlive their request (`Prefer: respond-async`), and the states of such an
# operation: waiting for its thread, deleting, and the three ends.
OPERATION_ACTIONS = (JOBS_CLEAR, ITEMS_CLEAR)
QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = (
    'queued', 'running', 'completed', 'failed', 'cancelled')
OPERATION_STATES = (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)
# The dashboard's session cookie, and the header that must carry its nonce.
SESSION_COOKIE = 'datamachine_session'
NONCE_HEADER = 'X-WP-Nonce'
