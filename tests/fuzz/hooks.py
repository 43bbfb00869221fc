"""schemathesis hooks of the fuzz run in tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS)."""
import hashlib
import json

import schemathesis

from datamachine_jobs.schemas.headers import IDEMPOTENCY_KEY, idempotency_key


@schemathesis.hook
def before_load_schema(context, raw_schema):
    """Generate no `cursor`: it is an opaque signed token, valid only as the next_cursor of an
    earlier answer, which no schema can describe; the document keeps it a plain string."""
    for operations in raw_schema['paths'].values():
        for operation in operations.values():
            operation['parameters'] = [parameter for parameter in operation.get('parameters', [])
                                       if parameter['name'] != 'cursor']


@schemathesis.hook
def before_call(context, case, kwargs):
    """Give each distinct request its own Idempotency-Key, the same one for the same request.

    schemathesis sends the few keys it draws with many different requests, and the service
    answers 422 to a key used before with other parameters before it reads them, which would
    hide what the parameters get. A repeated request keeps its key, so replays are still
    exercised; a malformed key is sent as drawn.
    """
    raw = (case.headers or {}).get(IDEMPOTENCY_KEY)
    key = idempotency_key(raw) if isinstance(raw, str) else None
    if key is None:
        return
    request = json.dumps([case.method, case.formatted_path, case.query, case.body],
                         default=repr, sort_keys=True)
    digest = hashlib.sha256(f'{key}\n{request}'.encode()).hexdigest()[:16]
    case.headers[IDEMPOTENCY_KEY] = f'k{key[:200]}{digest}'  # still 1 to 255 printable ASCII
