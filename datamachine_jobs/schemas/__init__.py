"""marshmallow schemas for query arguments and request bodies, one instance of each, built once."""
from .audit import AuditListArgs
from .fields import NoArgs
from .flows import FlowHealthArgs
from .jobs import (
    ClearJobsArgs,
    CreateJobArgs,
    DeleteJobArgs,
    ExportArgs,
    HeartbeatArgs,
    JobArgs,
    JobListArgs,
    RecoverStuckArgs,
    RetryJobArgs,
    SummaryArgs,
    UpdateJobArgs,
)
from .operations import OperationListArgs
from .processed_items import (
    CheckItemArgs,
    ClearItemsArgs,
    ItemListArgs,
    RecordItemArgs,
    RecordItemsArgs,
)
from .retention import RetentionRulesArgs, RetentionRunArgs
from .session import SignInArgs

__all__ = ['audit_list_args', 'check_item_args', 'clear_items_args', 'clear_jobs_args',
           'create_job_args', 'delete_job_args', 'export_args', 'flow_health_args',
           'heartbeat_args', 'item_list_args', 'job_args', 'job_list_args', 'no_args',
           'operation_list_args', 'record_item_args', 'record_items_args', 'recover_stuck_args',
           'retention_rules_args', 'retention_run_args', 'retry_job_args', 'sign_in_args',
           'summary_args', 'update_job_args']

job_list_args = JobListArgs()
job_args = JobArgs()
summary_args = SummaryArgs()
clear_jobs_args = ClearJobsArgs()
create_job_args = CreateJobArgs()
update_job_args = UpdateJobArgs()
heartbeat_args = HeartbeatArgs()
retry_job_args = RetryJobArgs()
delete_job_args = DeleteJobArgs()
recover_stuck_args = RecoverStuckArgs()
check_item_args = CheckItemArgs()
record_item_args = RecordItemArgs()
record_items_args = RecordItemsArgs()
item_list_args = ItemListArgs()
clear_items_args = ClearItemsArgs()
no_args = NoArgs()
sign_in_args = SignInArgs()
audit_list_args = AuditListArgs()
operation_list_args = OperationListArgs()
retention_rules_args = RetentionRulesArgs()
retention_run_args = RetentionRunArgs()
flow_health_args = FlowHealthArgs()
export_args = ExportArgs()
