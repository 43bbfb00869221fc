"""Routes for operators and their tools, outside the API prefix: liveness, readiness, metrics."""
import hmac
import logging

from flask import Blueprint, request

from .. import db, metrics
from ..config import settings
from ..errors import APIError

bp = Blueprint('monitoring', __name__)
log = logging.getLogger(__name__)


@bp.get('/healthz')
def healthz():
    """The process answers: no database, no authentication."""
    return {'status': 'ok'}


@bp.get('/readyz')
def readyz():
    """Ready to serve: the database answers and its schema is current; 503 otherwise, saying
    only the kind of problem (the detail, such as the server's address, goes to the log)."""
    problem = db.schema_problem()
    if problem:
        log.warning('not ready: %s', problem.detail)
        raise APIError(503, 'not_ready', problem.reason)
    return {'status': 'ready'}


@bp.get('/metrics')
def metrics_text():
    """Prometheus metrics, behind a bearer token when DATAMACHINE_METRICS_TOKEN is set."""
    token = settings().metrics_token
    if token is not None:
        scheme, _, given = request.headers.get('Authorization', '').partition(' ')
        if scheme.lower() != 'bearer' or not hmac.compare_digest(given.encode(), token.encode()):
            raise APIError(401, 'invalid_metrics_token', 'A valid metrics bearer token is '
                           'required.', {'WWW-Authenticate': 'Bearer realm="metrics"'})
    return metrics.exposition(), 200, {'Content-Type': metrics.CONTENT_TYPE}
