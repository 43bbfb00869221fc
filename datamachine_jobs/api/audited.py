"""The audit of a destructive call made over HTTP (the record itself is services.audit's)."""
import contextlib

from flask import g, request

from .. import metrics
from ..auth import auth
from ..errors import key_in_use
from ..services import audit, idempotency


@contextlib.contextmanager
def audited(action, parameters, bound_of=lambda: None, tables=()):
    """Audit a destructive call of this request's user (see services.audit) and count its deleted
    rows in the metrics; yields the running audit.Operation, whose `bound` is `bound_of()` taken
    now, or the one an earlier request with the same Idempotency-Key fixed when it began (that
    call is resumed, in the same audit record)."""
    claimed = g.get('idempotency')
    if claimed is not None and claimed.audit_id is not None:
        operation = audit.resume(claimed.audit_id)
        if operation is None:  # not while this request holds the key; said rather than assumed
            raise key_in_use()
    else:
        operation = audit.start(action, parameters, actor(), bound_of(), then=(
            None if claimed is None else lambda record_id: idempotency.attach(claimed, record_id)))
    with audit.running(operation, tables):
        yield operation
    metrics.count_deleted(operation.rows_this_run)


def actor():
    """Who makes this request, as an audit record names them."""
    principal = auth.current_user()
    return {'via': principal.via, 'username': principal.username,
            'app_password': principal.password_name, 'remote_addr': request.remote_addr,
            'request_id': g.get('request_id')}
