"""marshmallow schemas for query arguments and request bodies, one instance of each, built once."""
from .audit import AuditListArgs
from .fields import NoArgs
from .jobs import (
    ClearJobsArgs,
    CreateJobArgs,
    JobArgs,
    JobListArgs,
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
from .session import SignInArgs

__all__ = ['audit_list_args', 'check_item_args', 'clear_items_args',
           'clear_jobs_args', 'create_job_args', 'item_list_args', 'no_args', 'sign_in_args',
           'job_args', 'job_list_args', 'operation_list_args', 'record_item_args',
           'record_items_args', 'summary_args', 'update_job_args']

job_list_args = JobListArgs()
job_args = JobArgs()
summary_args = SummaryArgs()
clear_jobs_args = ClearJobsArgs()
create_job_args = CreateJobArgs()
update_job_args = UpdateJobArgs()
check_item_args = CheckItemArgs()
record_item_args = RecordItemArgs()
record_items_args = RecordItemsArgs()
item_list_args = ItemListArgs()
clear_items_args = ClearItemsArgs()
no_args = NoArgs()
sign_in_args = SignInArgs()
audit_list_args = AuditListArgs()
operation_list_args = OperationListArgs()
