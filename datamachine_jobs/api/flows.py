"""Flow health: which flows are failing."""
from datetime import UTC, datetime

from flask import Blueprint, request

from ..auth import protect
from ..models import time_before
from ..schemas import flow_health_args
from ..services import flows as flow_service
from .params import parse

bp = Blueprint('flows', __name__)
protect(bp)


@bp.get('/flows/health')
def flow_health():
    """Per flow: runs, failures and success rate in the window; failures since its last success,
    its last success and failure, its newest error. `problems` keeps the failing ones."""
    args = parse(flow_health_args, request.args)
    since = time_before(datetime.now(UTC).replace(tzinfo=None), args['window'])
    flows = flow_service.health(since, args.get('pipeline_id'))
    if args['problems']:
        flows = flow_service.failing(flows, args['min_consecutive_failures'],
                                     args['min_success_rate'])
    return {'success': True, 'since': since, 'data': flows, 'total': len(flows)}
