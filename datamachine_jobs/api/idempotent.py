"""The Idempotency-Key request header of the writing routes: the first request with a key fixes
what it does, and a repeat with the same key and body answers what the first did without doing it
again (while the first still runs, 409; with another body, 422)."""
import functools
import hashlib

import orjson
from flask import g, make_response, request

from ..auth import auth
from ..config import settings
from ..db import database
from ..errors import APIError, key_in_use
from ..schemas.headers import IDEMPOTENCY_KEY as HEADER
from ..schemas.headers import MAX_KEY, REPLAYED, idempotency_key
from ..services import idempotency
from .params import body_params


def idempotent(operation=False):
    """Honour Idempotency-Key on a view. A plain write claims its key in its own transaction; an
    `operation` (a clear, many transactions) holds its key while it runs, and a repeat after its
    process died resumes it (see `audited`)."""

    def decorate(view):
        @functools.wraps(view)
        def honour_key(**view_args):
            key = _key()
            if key is None:
                return view(**view_args)
            args = (auth.current_user().user_id, key, _fingerprint(),
                    settings().idempotency_ttl)
            idempotency.purge_expired()
            if operation:
                return _run_operation(view, view_args, *args)
            with database.atomic():
                claimed = idempotency.claim(*args)
                if isinstance(claimed, idempotency.Used):
                    return _repeat(claimed)
                response = make_response(view(**view_args))
                idempotency.answer(claimed, response.status_code, response.get_data(),
                                   response.headers)
            return response

        honour_key.honours_idempotency_key = True  # read by the OpenAPI document's tests
        return honour_key

    return decorate


def _run_operation(view, view_args, *args):
    claimed = idempotency.claim_operation(*args)
    if isinstance(claimed, idempotency.Used):
        return _repeat(claimed)
    g.idempotency = claimed
    try:
        response = make_response(view(**view_args))
        idempotency.answer(claimed, response.status_code, response.get_data(), response.headers)
    except BaseException:
        # A clear that began is kept for a repeat to resume; a request refused before, forgotten.
        idempotency.release(claimed, keep=claimed.audit_id is not None)
        raise
    idempotency.release(claimed)
    return response


def _repeat(used):
    """The answer to a repeat: the first request's answer, or why there is none."""
    if not used.matches:
        raise APIError(422, 'idempotency_key_reused', f'This {HEADER} was sent before with '
                       'another request; use a new key for a new request.')
    if used.answer is None:
        raise key_in_use()
    status, body, headers = used.answer
    return body, status, {**headers, REPLAYED: 'true'}


def _key():
    """The header's key (a structured-field string, quotes optional), None when absent."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = idempotency_key(raw)
    if key is None:
        raise APIError(400, 'invalid_idempotency_key', f'{HEADER} must be 1 to {MAX_KEY} '
                       'printable ASCII characters.')
    return key


def _fingerprint():
    """What makes two requests the same one: method, path and parameters as received."""
    params = orjson.dumps(body_params(), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(f'{request.method} {request.path} '.encode() + params).hexdigest()
