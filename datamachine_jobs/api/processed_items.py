"""The processed-items routes: the deduplication records of flow steps."""
from flask import Blueprint, request

from ..auth import protect
from ..config import settings
from ..schemas import (
    check_item_args,
    clear_items_args,
    item_list_args,
    no_args,
    record_item_args,
    record_items_args,
)
from ..services import processed_items as items
from ..vocabulary import ITEM_DELETE, ITEMS_CLEAR
from .audited import audited
from .cleared import items_cleared
from .idempotent import idempotent
from .operations import accepted, prefers_async
from .paging import page_headers
from .params import body_params, parse

bp = Blueprint('processed_items', __name__)
protect(bp)


@bp.get('/processed-items')
def list_items():
    """List records, newest first, with page numbers."""
    args = parse(item_list_args, request.args)
    page, total = items.list_items(**args)
    return ({'success': True, 'items': page, 'total': total, 'page': args['page'],
             'per_page': args['per_page']}, 200, page_headers(total, args['per_page']))


@bp.get('/processed-items/check')
def check_item():
    """Tell whether an item was processed by a flow step: one index lookup."""
    found = items.find(**parse(check_item_args, request.args))
    return {'success': True, 'processed': found is not None, 'data': found}


@bp.post('/jobs/<int:job_id>/processed-items')
@idempotent()
def record_items(job_id):
    """Record one processed item (201; 409 if known) or a batch of up to 1000 (repeats skipped)."""
    params = body_params()
    if 'items' in params:
        batch = parse(record_items_args, params)['items']
        created, skipped = items.record_items(job_id, batch)
        return {'success': True, 'created': len(created), 'skipped': skipped, 'data': created}
    record = items.record_item(job_id, parse(record_item_args, params))
    return {'success': True, 'data': record}, 201


@bp.delete('/processed-items/<int:item_id>')
def delete_item(item_id):
    """Delete one record, so that its item is processed again."""
    received = body_params()
    parse(no_args, received)
    with audited(ITEM_DELETE, {**received, 'id': item_id}) as operation:
        items.delete_item(item_id)
        operation.progress(processed_items=1)
    return {'success': True, 'message': 'Deduplication tracking record deleted successfully.',
            'id': item_id}


@bp.delete('/processed-items')
@idempotent(operation=True)
def clear_items():
    """Delete every record of a pipeline or a flow (made before the request began); with
    Prefer: respond-async, answer 202 at once and clear in the background."""
    received = body_params()
    args = parse(clear_items_args, received)
    if prefers_async():
        return accepted(ITEMS_CLEAR, received, args)
    with audited(ITEMS_CLEAR, received, items.item_bound, ('processed_items',)) as operation:
        items.clear_items(args['clear_type'], args['target_id'],
                          settings().clear_batch_size, operation.bound,
                          operation.progress)
    return items_cleared(operation.rows)
