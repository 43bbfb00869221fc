"""Helpers shared by the blueprints: reading and validating request parameters, paging headers,
auditing destructive calls."""
import contextlib
from math import ceil
from urllib.parse import parse_qsl

import orjson
from flask import current_app, g, request
from marshmallow import ValidationError

from .. import metrics
from ..auth import auth
from ..errors import APIError, invalid_params, key_in_use
from ..exceptions import JobNotFound
from ..schemas.fields import Received
from ..services import audit, idempotency
from ..vocabulary import MAX_ID

FORM_TYPES = ('', 'application/x-www-form-urlencoded')


def parse(schema, data):
    """Load `data` through `schema`, turning validation errors into the contract's 400 answers."""
    try:
        return schema.load(data)
    except ValidationError as err:
        raise invalid_params(schema, err) from None


def body_params():
    """Parameters of a write request: the JSON body over the form body over the query string.

    A JSON object sent without a JSON Content-Type (curl -d's default) is still read as JSON.
    Read once per request; each caller gets its own copy.
    """
    if '_body_params' not in g:
        g._body_params = _read_body_params()
    return Received(g._body_params, g._body_params.from_json)


def _read_body_params():
    params = request.args.to_dict()
    if request.mimetype.startswith('multipart/'):
        params.update(request.form.to_dict())
        return Received(params)
    raw = request.get_data(cache=True)
    if request.is_json or raw.lstrip()[:1] in (b'{', b'['):
        typed = _json_object(raw)
        return Received({**params, **typed}, typed)
    if raw and request.mimetype in FORM_TYPES:
        params.update(parse_qsl(raw.decode('utf-8', 'replace'), keep_blank_values=True))
    return Received(params)


def _json_object(raw):
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise APIError(400, 'rest_invalid_json', 'Invalid JSON body passed.',
                       json_error_message=str(err)) from None
    if not isinstance(data, dict):
        raise APIError(400, 'rest_invalid_json', 'The JSON body must be an object.')
    return data


def storable_job_id(job_id):
    """The id from the URL, or JobNotFound when it is too large to name any stored job."""
    if job_id > MAX_ID:
        raise JobNotFound(job_id)
    return job_id


def page_headers(total, per_page):
    """WordPress's paging headers: the matching total and the number of pages."""
    return {'X-WP-Total': str(total), 'X-WP-TotalPages': str(ceil(total / per_page))}


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
            raise key_in_use(current_app.config['RETRY_AFTER'])
    else:
        principal = auth.current_user()
        actor = {'via': 'http', 'username': principal.username,
                 'app_password': principal.password_name, 'remote_addr': request.remote_addr,
                 'request_id': g.get('request_id')}
        operation = audit.start(action, parameters, actor, bound_of(), then=(
            None if claimed is None else lambda record_id: idempotency.attach(claimed, record_id)))
    with audit.running(operation, tables):
        yield operation
    metrics.count_deleted(operation.rows_this_run)
