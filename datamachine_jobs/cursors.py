"""Opaque, tamper-evident cursors for keyset pagination.

A cursor is base64url(JSON) plus a truncated HMAC-SHA256, so a client can pass it back but not
forge or edit it.
"""
import base64
import binascii
import hashlib
import hmac

import orjson

SIGNATURE_BYTES = 16


class InvalidCursor(ValueError):
    """The cursor was not made by this service (or was edited)."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def _sign(body, key):
    return hmac.new(key, body.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]


def encode(payload, key):
    """A cursor carrying `payload` (JSON-serialisable)."""
    body = _b64(orjson.dumps(payload))
    return f'{body}.{_b64(_sign(body, key))}'


def decode(cursor, key):
    """The payload of a cursor made by `encode` with the same key, or InvalidCursor."""
    body, _, signature = cursor.partition('.')
    try:
        valid = hmac.compare_digest(_unb64(signature), _sign(body, key))
        payload = orjson.loads(_unb64(body)) if valid else None
    except (binascii.Error, ValueError):
        payload = None
    if not isinstance(payload, dict):
        raise InvalidCursor(cursor)
    return payload


def fingerprint(filters):
    """A short digest of a query's filters, so a cursor is only used with the query it came from."""
    return hashlib.sha256(orjson.dumps(filters, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
