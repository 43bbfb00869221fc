"""Headers of the API whose rules both the routes and the OpenAPI document need."""
import re

IDEMPOTENCY_KEY = 'Idempotency-Key'
REPLAYED = 'Idempotent-Replayed'
MAX_KEY = 255
# 1 to 255 printable ASCII characters; double quotes around them (a structured-field string)
# are not part of the key. Spaces and tabs around the value are HTTP's, not the key's.
KEY_PATTERN = (f'^(?:[!-~]|[!#-~][ -~]{{0,{MAX_KEY - 2}}}[!-~]|"[ -~]{{0,{MAX_KEY - 2}}}[!#-~]'
               f'|"[ -~]{{1,{MAX_KEY}}}")$')
KEY_RE = re.compile(KEY_PATTERN)


def idempotency_key(raw):
    """The key an Idempotency-Key value names, or None if the value is malformed."""
    value = raw.strip(' \t')
    if not KEY_RE.fullmatch(value):
        return None
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value

PREFER = 'Prefer'
PREFERENCE_APPLIED = 'Preference-Applied'
RESPOND_ASYNC = 'respond-async'


def preferences(values):
    """The preference tokens, lower-cased, of a request's Prefer header values (RFC 7240: comma-
    separated, each `token[=value][; parameters]`): ['respond-async, wait=10'] ->
    {'respond-async', 'wait'}."""
    return {part.split(';', 1)[0].split('=', 1)[0].strip(' \t').lower()
            for value in values for part in value.split(',')} - {''}
