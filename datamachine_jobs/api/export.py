"""GET /jobs/export: the whole matching history as NDJSON or CSV, streamed."""
import csv
import io
from datetime import UTC, datetime

import orjson
from flask import Blueprint, Response, request, stream_with_context

from ..auth import protect
from ..config import settings
from ..schemas import export_args
from ..schemas.jobs import wants_edit_keys
from ..services import leases, listing
from ..vocabulary import ALL_JOB_KEYS, JOB_KEYS
from .jobs import ROW_FILTERS
from .params import parse

bp = Blueprint('export', __name__)
protect(bp)

BATCH = 1000  # jobs per page of the walk, and per chunk written
MEDIA_TYPES = {'ndjson': 'application/x-ndjson', 'csv': 'text/csv; charset=utf-8'}


@bp.get('/jobs/export')
def export_jobs():
    """Every job matching the list's filters, by job_id, in constant memory: a keyset walk
    written a page at a time; a client that disconnects ends the walk."""
    args = parse(export_args, request.args)
    filters = {name: args[name] for name in ROW_FILTERS if name in args}
    edit = wants_edit_keys(args)
    keys = [key for key in (ALL_JOB_KEYS if edit else JOB_KEYS)
            if not args.get('fields') or key in args['fields']]
    jobs = listing.walk(args['order'], edit, BATCH, **filters,
                        **leases.stuck_filter(filters, settings()))
    chunks = (_csv if args['format'] == 'csv' else _ndjson)(jobs, keys)
    stamp = datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')
    return Response(stream_with_context(chunks), mimetype=MEDIA_TYPES[args['format']], headers={
        'Content-Disposition': f'attachment; filename="jobs-{stamp}.{args["format"]}"',
        'X-Content-Type-Options': 'nosniff'})


def _pages(jobs):
    page = []
    for job in jobs:
        page.append(job)
        if len(page) == BATCH:
            yield page
            page = []
    if page:
        yield page


def _ndjson(jobs, keys):
    for page in _pages(jobs):
        yield b''.join(orjson.dumps({key: job[key] for key in keys}) + b'\n' for job in page)


def _csv(jobs, keys):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\r\n')
    writer.writerow(keys)
    for page in _pages(jobs):
        writer.writerows([['' if job[key] is None else job[key] for key in keys] for job in page])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue().encode()
