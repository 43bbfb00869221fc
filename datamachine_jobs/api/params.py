"""A request's parameters: read from where the client put them, and validated by a schema."""
from urllib.parse import parse_qsl

import orjson
from flask import g, request
from marshmallow import ValidationError

from ..errors import APIError, invalid_params
from ..schemas.fields import Received

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
