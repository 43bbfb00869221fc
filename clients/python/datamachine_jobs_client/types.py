"""What the calls answer: the service's JSON, as typed dicts (the OpenAPI document's schemas)."""
from typing import NotRequired, TypedDict


class Job(TypedDict, total=False):
    """Seven keys by default; context='edit' adds the lease, attempts and retry_of."""

    job_id: int
    pipeline_id: int
    flow_id: int
    status: str
    started_at: str | None
    completed_at: str | None
    error_message: str | None
    created_at: str
    claimed_by: str | None
    runner: str | None
    heartbeat_at: str | None
    attempts: int
    retry_of: int | None


class JobPage(TypedDict):
    success: bool
    data: list[Job]
    total: int
    per_page: int
    offset: int
    next_cursor: str | None


class Cleared(TypedDict):
    success: bool
    message: str
    jobs_deleted: int
    processed_items_cleaned: int


class ClearPreview(TypedDict):
    success: bool
    dry_run: bool
    jobs_matched: int
    processed_items_matched: int
    by_status: dict[str, int]


class Durations(TypedDict):
    avg: float | None
    p50: int | None
    p95: int | None
    max: int | None


class Summary(TypedDict):
    total: int
    by_status: dict[str, int]
    success_rate: float | None
    duration_seconds: Durations
    groups: NotRequired[list[dict]]


class Operation(TypedDict):
    id: int
    action: str
    state: str
    parameters: dict
    bound: int
    rows_matched: dict[str, int] | None
    rows_done: dict[str, int]
    created_at: str
    started_at: str | None
    finished_at: str | None
    cancel_requested_at: str | None
    error: str | None
    audit_id: int | None
    result: dict | None


class ProcessedItem(TypedDict):
    id: int
    flow_step_id: str
    source_type: str
    item_identifier: str
    job_id: int
    processed_at: str


class ProcessedItemPage(TypedDict):
    success: bool
    items: list[ProcessedItem]
    total: int
    page: int
    per_page: int


class AuditPage(TypedDict):
    success: bool
    data: list[dict]
    total: int
    per_page: int
    offset: int
