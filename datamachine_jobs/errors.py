"""The one JSON error envelope, and the handlers that turn every failure into it.

`{"code": str, "message": str, "data": {"status": int, ...}}`, with the same HTTP status.
"""
import logging
import re

import peewee
from flask import g, jsonify
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException

from . import statuses
from .config import settings
from .exceptions import (
    AlreadyProcessed,
    InvalidTransition,
    JobNotFound,
    LeaseNotHeld,
    NotFinal,
    OperationFinished,
    OperationNotFound,
    ProcessedItemNotFound,
)
from .schemas.fields import Missing

log = logging.getLogger(__name__)
MARKUP = re.compile(r'<[^>]+>')

# MySQL/MariaDB error numbers that mean "not reachable now, try again": connection refused, lost
# or gone, server shutting down, too many connections, lock wait timeout, deadlock.
MYSQL_UNAVAILABLE = frozenset((1040, 1053, 1205, 1213, 1927, 2002, 2003, 2005, 2006, 2013, 2055))
SQLITE_UNAVAILABLE = ('unable to open database file', 'database is locked', 'disk i/o error')

HTTP_CODES = {
    404: ('rest_no_route', 'No route was found matching the URL and request method.'),
    405: ('rest_no_route', 'No route was found matching the URL and request method.'),
    413: ('rest_request_too_large', 'The request body is too large.'),
    415: ('rest_unsupported_media_type', 'The request body has an unsupported media type.'),
}


# The domain's refusals, each as the answer the API gives it.
DOMAIN_ERRORS = {
    JobNotFound: lambda err: APIError(404, 'job_not_found', 'Job not found.'),
    ProcessedItemNotFound: lambda err: APIError(404, 'processed_item_not_found',
                                                'Processed item not found.'),
    InvalidTransition: lambda err: APIError(
        409, 'invalid_transition',
        f"A job cannot move from '{err.current_status}' to '{err.target}'.",
        current_status=err.current_status),
    LeaseNotHeld: lambda err: _lease_not_held(err.job),
    NotFinal: lambda err: APIError(
        409, 'job_not_final', f"Only a finished job is retried; this one is '{err.status}'. "
        'Send force=true to retry it anyway.', current_status=err.status),
    AlreadyProcessed: lambda err: APIError(409, 'already_processed',
                                           'This item was already processed.',
                                           existing=err.existing),
    OperationNotFound: lambda err: APIError(404, 'operation_not_found', 'Operation not found.'),
    OperationFinished: lambda err: APIError(409, 'operation_finished',
                                            f'The operation has already ended ({err.state}).',
                                            state=err.state),
}


def _lease_not_held(job):
    if statuses.base_status(job['status']) != statuses.PROCESSING:
        return APIError(409, 'job_not_processing',
                        f"The job is no longer processing: its status is '{job['status']}'.",
                        current_status=job['status'])
    return APIError(409, 'lease_held', "Another runner holds this job's lease.",
                    claimed_by=job['claimed_by'], runner=job['runner'])


class APIError(Exception):
    """Ends a request with an error answer in the envelope."""

    def __init__(self, status, code, message, headers=None, **data):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.data = data

    def response(self):
        body = {'code': self.code, 'message': self.message,
                'data': {'status': self.status, **self.data}}
        return jsonify(body), self.status, self.headers


def key_in_use():
    """The answer to a repeat of a request whose clear, holding its Idempotency-Key, still runs."""
    return APIError(409, 'idempotency_key_in_use', 'The request with this Idempotency-Key is '
                    'still running; repeat it later for its answer.',
                    {'Retry-After': str(settings().retry_after)})


def invalid_params(schema, err):
    """Translate a marshmallow ValidationError into the WordPress-style 400 answer."""
    messages = err.messages
    missing = [name for name, msgs in messages.items() if _is_missing(msgs)]
    if missing:
        return APIError(400, 'rest_missing_callback_param',
                        'Missing parameter(s): ' + ', '.join(missing), params=missing)
    for name in messages:
        if name in schema.error_codes:
            code, message = schema.error_codes[name]
            return APIError(400, code, message)
    params = dict(_flatten(messages))
    return APIError(400, 'rest_invalid_param',
                    'Invalid parameter(s): ' + ', '.join(params), params=params)


def _flatten(messages, prefix=''):
    """Yield (name, sentence) for nested errors, naming list entries `items[3].source_type`."""
    for key, value in messages.items():
        if key == '_schema':
            name = prefix
        elif isinstance(key, int):
            name = f'{prefix}[{key}]'
        else:
            name = f'{prefix}.{key}' if prefix else key
        if isinstance(value, dict):
            yield from _flatten(value, name)
        elif prefix and _is_missing(value):
            yield name, f'{name} is required.'
        elif key == '_schema':
            yield name, f'{name} must be an object.'
        else:
            yield name, ' '.join(value)


def _is_missing(messages):
    return isinstance(messages, list) and any(isinstance(m, Missing) for m in messages)


def database_unavailable(exc):
    """True when a database error means the server cannot be reached (worth a retry)."""
    if isinstance(exc, peewee.InterfaceError | MaxConnectionsExceeded):
        return True
    if not isinstance(exc, peewee.OperationalError):
        return False
    # peewee wraps the driver's exception as its first argument.
    driver_exc = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    errno = driver_exc.args[0] if driver_exc.args else None
    if isinstance(errno, int):
        return errno in MYSQL_UNAVAILABLE
    text = str(driver_exc).lower()
    return any(fragment in text for fragment in SQLITE_UNAVAILABLE)


def register_error_handlers(app):
    """Install the handlers that give every error, expected or not, the JSON envelope."""

    @app.errorhandler(APIError)
    def handle_api_error(err):
        return err.response()

    for exception, answer in DOMAIN_ERRORS.items():
        app.register_error_handler(exception, lambda err, answer=answer: answer(err).response())

    @app.errorhandler(HTTPException)
    def handle_http_exception(err):
        code, message = HTTP_CODES.get(err.code, ('rest_error', MARKUP.sub(
            '', err.description or err.name)))  # werkzeug's texts are written for HTML
        headers = {'Allow': ', '.join(err.valid_methods)} if getattr(
            err, 'valid_methods', None) else {}
        return APIError(err.code, code, message, headers).response()

    @app.errorhandler(peewee.DatabaseError)
    @app.errorhandler(peewee.InterfaceError)
    @app.errorhandler(MaxConnectionsExceeded)
    def handle_database_error(err):
        if database_unavailable(err):
            log.warning('database unavailable: %s', err)
            g.database_failed = True  # its connection is not returned to the pool
            return APIError(503, 'database_unavailable',
                            'The database is unavailable. Try again shortly.',
                            {'Retry-After': str(settings().retry_after)}).response()
        return handle_unexpected(err)

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        log.exception('unhandled error')
        return APIError(500, 'internal_error', 'An unexpected error occurred.').response()
