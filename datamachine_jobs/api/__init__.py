"""Helpers shared by the blueprints: reading and validating request parameters, paging headers,
auditing destructive calls."""
import contextlib
from math import ceil
from urllib.parse import parse_qsl

import orjson
from flask import g, request
from marshmallow import ValidationError

from .. import metrics
from ..auth import auth
from ..errors import APIError, invalid_params
from ..services import audit

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
    """
    params = request.args.to_dict()
    if request.mimetype.startswith('multipart/'):
        params.update(request.form.to_dict())
        return params
    raw = request.get_data(cache=True)
    if request.is_json or raw.lstrip()[:1] in (b'{', b'['):
        params.update(_json_object(raw))
    elif raw and request.mimetype in FORM_TYPES:
        params.update(parse_qsl(raw.decode('utf-8', 'replace'), keep_blank_values=True))
    return params


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


def page_headers(total, per_page):
    """WordPress's paging headers: the matching total and the number of pages."""
    return {'X-WP-Total': str(total), 'X-WP-TotalPages': str(ceil(total / per_page))}


@contextlib.contextmanager
def audited(action, parameters):
    """Audit a destructive call of this request's user (see services.audit.recorded) and count
    its deleted rows in the metrics; yields the dict to fill with {table: rows deleted}."""
    principal = auth.current_user()
    actor = {'via': 'http', 'username': principal.username,
             'app_password': principal.password_name, 'remote_addr': request.remote_addr,
             'request_id': g.get('request_id')}
    with audit.recorded(action, parameters, actor) as rows:
        yield rows
    metrics.count_deleted(rows)
