"""What the data operations refuse to do, as exceptions of the domain. errors.py maps each to the
API's error envelope in one table, so that views raise or return and never translate."""


class JobNotFound(LookupError):
    """No job has this id."""


class ProcessedItemNotFound(LookupError):
    """No processed item has this id."""


class InvalidTransition(Exception):
    """The job's current status does not allow the requested move."""

    def __init__(self, current_status, target):
        super().__init__(current_status, target)
        self.current_status, self.target = current_status, target


class NotFinal(Exception):
    """The job has not finished (its `status` says where it is), so it is not retried."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class LeaseNotHeld(Exception):
    """A heartbeat for a job that is no longer processing, or whose lease another runner holds;
    `job` is the job as it stands (with its lease)."""

    def __init__(self, job):
        super().__init__(job['job_id'])
        self.job = job


class AlreadyProcessed(Exception):
    """The item was recorded before; `existing` is that record."""

    def __init__(self, existing):
        super().__init__(existing['id'])
        self.existing = existing


class OperationNotFound(LookupError):
    """No operation has this id."""


class OperationFinished(Exception):
    """The operation has ended (`state`): there is nothing left to cancel."""

    def __init__(self, state):
        super().__init__(state)
        self.state = state
