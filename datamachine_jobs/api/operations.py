"""Clears that outlive their request. With `Prefer: respond-async` (RFC 7240), DELETE /jobs and
DELETE /processed-items queue their clear as an operation (services.operations), answer 202 with
where to follow it, and carry it out in a thread of this worker; the routes here show the
operations and cancel one. Every gunicorn worker also watches for operations whose worker died
(`watch`, started by gunicorn.conf.py)."""
from flask import Blueprint, g, request, url_for

from .. import metrics
from ..auth import protect
from ..config import settings
from ..schemas import no_args, operation_list_args
from ..schemas.headers import PREFER, PREFERENCE_APPLIED, RESPOND_ASYNC, preferences
from ..services import clearing, operations
from ..vocabulary import COMPLETED, RUNNING
from .audited import actor
from .cleared import ANSWERS
from .paging import page_headers
from .params import body_params, parse

bp = Blueprint('operations', __name__)
protect(bp)


def prefers_async():
    """Whether this clear's request asks to be answered before the clear is done; not when it
    repeats, with its Idempotency-Key, a clear that was waited for and whose process died (that
    one resumes as it began)."""
    claimed = g.get('idempotency')
    if claimed is not None and claimed.audit_id is not None:
        return False
    return RESPOND_ASYNC in preferences(request.headers.getlist(PREFER))


def accepted(action, received, arguments):
    """Queue a clear (`arguments` are its function's), start it in a thread of this worker, and
    answer 202 with the operation."""
    operation = operations.enqueue(action, received, arguments, actor())
    operations.in_background(operation['id'], settings().clear_batch_size,
                             metrics.count_deleted)
    return {'success': True, 'data': present(operation)}, 202, {
        'Location': url_for('operations.get_operation', operation_id=operation['id']),
        PREFERENCE_APPLIED: RESPOND_ASYNC}


def present(operation):
    """An operation as the API shows it: with the clear's answer once it completed."""
    done = operation['state'] == COMPLETED
    return {**operation, 'result': ANSWERS[operation['action']](operation['rows_done'])
            if done else None}


def watch(app):
    """Start this process's watch over operations whose worker died (one per gunicorn worker),
    and free what swaps left set aside before a crash or a restart."""
    config = app.extensions['datamachine_config']
    clearing.free_set_aside()
    return operations.watch_leases(config.operation_lease, config.clear_batch_size,
                                   metrics.count_deleted)


@bp.get('/operations')
def list_operations():
    """Operations, newest first."""
    args = parse(operation_list_args, request.args)
    page, total = operations.list_operations(**args)
    return ({'success': True, 'data': [present(operation) for operation in page],
             'total': total, 'per_page': args['per_page'], 'offset': args['offset']},
            200, page_headers(total, args['per_page']))


@bp.get('/operations/<int:operation_id>')
def get_operation(operation_id):
    """One operation: where it stands, and its result once completed."""
    return {'success': True, 'data': present(operations.get(operation_id))}


@bp.delete('/operations/<int:operation_id>')
def cancel_operation(operation_id):
    """Cancel an operation: a queued one at once (200), a running one after its current batch
    (202); what it deleted stays deleted."""
    parse(no_args, body_params())
    operation = operations.cancel(operation_id)
    return {'success': True, 'data': present(operation)}, (
        202 if operation['state'] == RUNNING else 200)
