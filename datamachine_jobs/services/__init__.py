"""Data operations shared by the API and the command line, one module per concern:

- `jobs`: one job, and its lifecycle (GET, POST /jobs, PATCH /jobs/{id})
- `listing`: pages of jobs with exact totals (GET /jobs); `summary`: GET /jobs/summary
- `clearing`: DELETE /jobs and its dry run; `batches`: bounded batches for every clear
- `counting`: the counts the triggers keep, applied in bulk by batch writers
- `processed_items`: the deduplication records (/processed-items, POST /jobs/{id}/processed-items)
- `audit`: the audit log of destructive calls (GET /audit); `locks`: who still runs a clear
- `idempotency`: Idempotency-Key claims and kept answers of the writing routes
- `accounts`: users and application passwords (the CLI; the lookup behind every request)
- `throttle`: repeated authentication failures (429); `gauges`: what /metrics reads
- `seed`: demo and benchmark data
"""
