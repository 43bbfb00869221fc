"""Pages: WordPress's paging headers, and the cursor pages of GET /jobs (reading a cursor back into
its place, and the next page's cursor and `Link` header)."""
from math import ceil
from urllib.parse import urlencode

from flask import request

from .. import cursors
from ..config import settings
from ..errors import APIError


def page_headers(total, per_page):
    """WordPress's paging headers: the matching total and the number of pages."""
    return {'X-WP-Total': str(total), 'X-WP-TotalPages': str(ceil(total / per_page))}


def _bad_cursor(message):
    return APIError(400, 'rest_invalid_param', 'Invalid parameter(s): cursor',
                    params={'cursor': message})


def resume(args, filters):
    """(orderby, order, position) of the cursor in `args`; it must belong to this query."""
    try:
        state = cursors.decode(args['cursor'], settings().cursor_key)
        orderby, order, position = state['o'], state['d'], (state['v'], state['i'])
    except (cursors.InvalidCursor, KeyError):
        raise _bad_cursor('cursor must be a next_cursor value from an earlier answer, '
                          'unchanged.') from None
    if state.get('f') != cursors.fingerprint(filters):
        raise _bad_cursor('cursor belongs to a query with other filters: repeat the filters '
                          'of the request that gave it.')
    for name, value in (('orderby', orderby), ('order', order)):
        if request.args.get(name) and args[name] != value:
            raise _bad_cursor(f'cursor continues a listing with {name}={value}.')
    return orderby, order, position


def cursor_after(last, orderby, order, filters):
    """The cursor of the page after the one ending with job `last`."""
    return cursors.encode({'o': orderby, 'd': order, 'v': last[orderby], 'i': last['job_id'],
                           'f': cursors.fingerprint(filters)}, settings().cursor_key)


def next_page(last, orderby, order, filters):
    """The cursor of the page after the one ending with job `last`, and its `Link` header."""
    cursor = cursor_after(last, orderby, order, filters)
    query = {k: v for k, v in request.args.items() if k not in ('cursor', 'offset')}
    return cursor, f'<{request.path}?{urlencode({**query, "cursor": cursor})}>; rel="next"'
