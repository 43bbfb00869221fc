"""The audit log route: who deleted what."""
from flask import Blueprint, request

from ..auth import protect
from ..schemas import audit_list_args
from ..services import audit
from .paging import page_headers
from .params import parse

bp = Blueprint('audit', __name__)
protect(bp)


@bp.get('/audit')
def list_audit():
    """Audit records of destructive calls, newest first."""
    args = parse(audit_list_args, request.args)
    page, total = audit.list_records(**args)
    return ({'success': True, 'data': page, 'total': total, 'per_page': args['per_page'],
             'offset': args['offset']}, 200, page_headers(total, args['per_page']))
