"""What every request leaves for operators: a request id, one JSON log line and its metrics."""
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import orjson
from flask import g, request

from . import metrics
from .auth import auth

log = logging.getLogger('datamachine_jobs.requests')
# An incoming X-Request-ID is kept when it is this tame (it goes into logs), else replaced.
REQUEST_ID = re.compile(r'[A-Za-z0-9._:-]{1,128}')
# Metric labels come from closed sets, so that no request can add a series: these methods (any
# other is `other`) and the matched URL rule (else `unmatched`).
METHODS = frozenset(('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'))


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the record's `fields`."""

    def format(self, record):
        entry = {'time': datetime.fromtimestamp(record.created, UTC).isoformat(
                     timespec='milliseconds').replace('+00:00', 'Z'),
                 'level': record.levelname, 'logger': record.name,
                 'message': record.getMessage(), **getattr(record, 'fields', {})}
        if record.exc_info:
            entry['exception'] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class WithoutAccessLines(logging.Filter):
    """Drops the development server's access lines (`127.0.0.1 - - [date] "GET / HTTP/1.1" 200
    -`): the request log already has one line per request. Its errors and banner stay."""

    ACCESS = re.compile(r'\S+ - - \[[^]]*\] "')

    def filter(self, record):
        return not (record.levelno == logging.INFO and self.ACCESS.match(record.getMessage()))


def configure_logging():
    """Send the service's logs to stderr as JSON lines, once per process, and keep the
    development server from logging each request a second time."""
    logger = logging.getLogger('datamachine_jobs')
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logging.getLogger('werkzeug').addFilter(WithoutAccessLines())


def init_app(app):
    configure_logging()
    app.before_request(_start)
    app.after_request(_finish)


def _start():
    incoming = request.headers.get('X-Request-ID', '')
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response):
    """Log the request and count it. The route is the URL rule (`/jobs/<int:job_id>`), so the
    metrics have one series per endpoint rather than one per URL."""
    duration = time.perf_counter() - g.get('started', time.perf_counter())
    route = request.url_rule.rule if request.url_rule else 'unmatched'
    method = request.method if request.method in METHODS else 'other'
    principal = auth.current_user()
    response.headers['X-Request-ID'] = g.get('request_id', '')
    metrics.REQUESTS.labels(route, method, response.status_code).inc()
    metrics.LATENCY.labels(route, method).observe(duration)
    log.info('request', extra={'fields': {
        'request_id': g.get('request_id'), 'pid': os.getpid(), 'remote_addr': request.remote_addr,
        'user': principal.username if principal else None,
        'app_password': principal.password_name if principal else None,
        'method': request.method, 'path': request.path, 'route': route,
        'status': response.status_code, 'duration_ms': round(duration * 1000, 3)}})
    return response
