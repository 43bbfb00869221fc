"""Leases on claimed jobs: heartbeats, and recovering the jobs whose runners went silent."""
from flask import Blueprint

from ..auth import auth, protect
from ..config import settings
from ..schemas import heartbeat_args, recover_stuck_args
from ..services import leases
from ..vocabulary import JOBS_RECOVER_STUCK
from .audited import audited
from .idempotent import idempotent
from .params import body_params, parse

bp = Blueprint('leases', __name__)
protect(bp)

DONE = {leases.FAIL: 'jobs_failed', leases.REQUEUE: 'jobs_requeued'}


@bp.post('/jobs/<int:job_id>/heartbeat')
def heartbeat(job_id):
    """Renew the lease of a processing job held by this application password (and runner)."""
    args = parse(heartbeat_args, body_params())
    job = leases.heartbeat(job_id, auth.current_user().password_name, args.get('runner'))
    return {'success': True, 'data': job}


@bp.post('/jobs/recover-stuck')
@idempotent()
def recover_stuck():
    """Fail or requeue the jobs stuck now (or, with dry_run, list them), audited with counts."""
    received = body_params()
    args = parse(recover_stuck_args, received)
    config = settings()
    before = leases.cutoffs(args.get('timeout', config.stuck_timeout),
                            args.get('pending_timeout', config.stuck_pending_timeout))
    action, dry_run = args['action'], args['dry_run']
    scope = {name: args[name] for name in ('pipeline_id', 'flow_id') if name in args}
    body = {'success': True, 'dry_run': dry_run, 'action': action,
            'stuck_before': {'processing': before[0], 'pending': before[1]}}
    if dry_run:
        found = leases.recover_stuck(action, *before, args['limit'], dry_run=True, **scope)
        return {**body, 'jobs_matched': len(found), 'data': found}
    with audited(JOBS_RECOVER_STUCK, received) as operation:
        found = leases.recover_stuck(action, *before, args['limit'], **scope, then=lambda found: (
            operation.progress(**{DONE[action]: len(found)})))
    return {**body, 'jobs_recovered': len(found), 'data': found}
