"""The datamachine-jobs API from Python: JobsClient calls every route, JobsAPIError carries the
service's error envelope, and the result types say what each call answers."""
from .client import JobsClient
from .errors import JobsAPIError
from .running import RunningJob
from .types import (
    AuditPage,
    Cleared,
    ClearPreview,
    Job,
    JobPage,
    Operation,
    ProcessedItem,
    ProcessedItemPage,
    Summary,
)

__all__ = ['AuditPage', 'ClearPreview', 'Cleared', 'Job', 'JobPage', 'JobsAPIError', 'JobsClient',
           'Operation', 'ProcessedItem', 'ProcessedItemPage', 'RunningJob', 'Summary']
