"""Field types and the base schema for request parameters.

Messages are whole sentences naming the parameter: they reach clients verbatim in the error
envelope's `data.params`.
"""
import difflib
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from .. import statuses
from ..vocabulary import MAX_ID


def _any_case(word):
    return ''.join(f'[{c.lower()}{c.upper()}]' if c.isalpha() else c for c in word)


# Spelt without flags so that the OpenAPI document's copy means the same (any letter case; no
# control characters in a reason).
STATUS_RE = re.compile(
    rf"^({'|'.join(map(_any_case, statuses.BASE_STATUSES))})( - [^\x00-\x1f\x7f]+)?$")
CONTROL_CHARACTER = re.compile(r'[\x00-\x1f\x7f]')
STATUS_RULE = ('one of: ' + ', '.join(statuses.BASE_STATUSES)
               + "; optionally followed by ' - ' and a reason")
MAX_STATUSES = 20
# A '+' of an unescaped UTC offset arrives as a space after URL decoding.
OFFSET_AS_SPACE = re.compile(r' ([0-9]{2}:?[0-9]{2})$')
AGE_RE = re.compile(r'^([0-9]{1,6})([dhm])$')
AGE_UNITS = {'d': 'days', 'h': 'hours', 'm': 'minutes'}


class QueryInteger(fields.Integer):
    """An integer as WordPress takes one: a number with no fractional part (`48`, `48.0`, `4.8e1`
    in a query string, or a JSON number). Booleans and other text are refused."""

    NUMBER = re.compile(r'\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*')
    MAX_TEXT = 100
    # Anything larger is out of every range here; it is clamped so that the range check answers.
    CLAMP = 2**64

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) <= self.MAX_TEXT and self.NUMBER.fullmatch(value):
            number = Decimal(value.strip())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = Decimal(value) if math.isfinite(value) else None
        else:
            number = None
        if number is None or number != number.to_integral_value():
            raise ValidationError(f'{attr} must be an integer.')
        return int(max(-self.CLAMP, min(self.CLAMP, number)))


def text_field(name, max_length, **kwargs):
    """A non-empty string of at most `max_length` characters."""
    return fields.String(error_messages={'invalid': f'{name} must be a string.',
                                         'null': f'{name} must be a string.'},
                         validate=validate.Length(min=1, max=max_length, error=(
                             f'{name} must be 1 to {max_length} characters long.')), **kwargs)


def id_field(name, **kwargs):
    """An optional positive id that fits a BIGINT."""
    return QueryInteger(validate=validate.Range(
        min=1, max=MAX_ID, error=f'{name} must be an integer from 1 to {MAX_ID}.'), **kwargs)


def status_field(**kwargs):
    """One status: a base status, or a compound `<base> - <reason>`, any case."""
    return fields.String(error_messages={'invalid': 'status must be a string.'}, validate=[
        validate.Length(max=statuses.MAX_LENGTH,
                        error=f'status must be at most {statuses.MAX_LENGTH} characters.'),
        validate.Regexp(STATUS_RE, error=f'status must be {STATUS_RULE}.'),
        _no_control_characters], **kwargs)


def _no_control_characters(value):
    """Python's `$` also matches before a final newline; nothing of the kind may be stored."""
    if CONTROL_CHARACTER.search(value):
        raise ValidationError('status must not hold control characters.')


class FlexibleBoolean(fields.Field):
    """A boolean as JSON, forms and query strings spell it: true/false, 1/0, "true", "0"..."""

    TRUE = frozenset(('true', '1'))
    FALSE = frozenset(('false', '0'))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):  # 1.0 is the JSON number 1
            return bool(value)
        if isinstance(value, str) and value.strip(' ').lower() in self.TRUE | self.FALSE:
            return value.strip(' ').lower() in self.TRUE
        raise ValidationError(f'{attr} must be a boolean: true, false, 1 or 0.')

    def json_schema(self):
        words = '|'.join(map(_any_case, sorted(self.TRUE | self.FALSE)))
        return {'anyOf': [{'type': 'boolean'}, {'enum': [0, 1]},
                          {'type': 'string', 'pattern': f'^ *(?:{words}) *$'}]}


class Choice(fields.Field):
    """One of `choices` in any letter case, spaces around it ignored, optionally behind
    `prefix` (the plugin's SQL alias `j.`); loads as the choice's own spelling."""

    def __init__(self, choices, error, prefix='', **kwargs):
        super().__init__(**kwargs)
        self.choices, self.error, self.prefix = choices, error, prefix

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isascii():  # lower() maps a few others to ASCII
            word = value.strip(' ').lower().removeprefix(self.prefix)
            for choice in self.choices:
                if choice.lower() == word:
                    return choice
        raise ValidationError(self.error)

    def json_schema(self):
        prefix = f'(?:{_any_case(re.escape(self.prefix))})?' if self.prefix else ''
        words = '|'.join(_any_case(re.escape(choice)) for choice in self.choices)
        return {'anyOf': [{'type': 'string', 'enum': list(self.choices)},
                          {'type': 'string', 'pattern': f'^ *{prefix}(?:{words}) *$'}]}


class CommaList(fields.Field):
    """Comma-separated values, each checked by `check(value) -> canonical or None`; spaces
    around a value and empty values are ignored.

    `item_pattern` is a regular expression (Python's and ECMA-262's alike, without anchors or
    commas) matching exactly the values `check` accepts, for the OpenAPI document.
    """

    def __init__(self, check, rule, max_items, item_pattern, **kwargs):
        super().__init__(**kwargs)
        self.check, self.rule, self.max_items = check, rule, max_items
        self.item_pattern = item_pattern

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(f'{attr} must be a comma-separated list of {self.rule}.')
        parts = [part.strip(' ') for part in value.split(',') if part.strip(' ')]
        checked = [self.check(part) for part in parts]
        if not parts or None in checked or len(parts) > self.max_items:
            raise ValidationError(f'{attr} must be a comma-separated list of up to '
                                  f'{self.max_items} values, each {self.rule}.')
        return tuple(dict.fromkeys(checked))

    def json_schema(self):
        value = f' *(?:{self.item_pattern}) *'
        return {'type': 'string', 'pattern': (
            f'^(?: *,)*{value}(?:,(?: *,)*{value}){{0,{self.max_items - 1}}}(?:, *)*$')}


def _status(value):
    if len(value) <= statuses.MAX_LENGTH and STATUS_RE.match(value) and \
            not CONTROL_CHARACTER.search(value):
        return statuses.canonical(value)
    return None


def _listed_status_pattern():
    """A status as a list holds it: its reason has no comma and does not end in a space (the
    list's spaces), and the whole is at most MAX_LENGTH characters."""
    reason = r'[^\x00-\x1f\x7f,]'
    last = r'[^\x00-\x1f\x7f, ]'
    return '|'.join(
        f'{_any_case(base)}(?: - {reason}{{0,{statuses.MAX_LENGTH - len(base) - 4}}}{last})?'
        for base in statuses.BASE_STATUSES)


def status_list_field(**kwargs):
    """Statuses, any of which matches (each by the base/compound rule)."""
    return CommaList(_status, STATUS_RULE, MAX_STATUSES, _listed_status_pattern(), **kwargs)


# Stored times are whole seconds, counted here from 0001-01-01 00:00:00.
FIRST_SECOND = datetime(1, 1, 1)
LAST_SECOND = datetime(9999, 12, 31, 23, 59, 59)
_LAST = int((LAST_SECOND - FIRST_SECOND).total_seconds())
_SECOND = timedelta(seconds=1)
# RFC 3339 (any letter case, a space for the T, the offset optional: then it is UTC).
RFC3339 = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})'
                     r'(?:\.([0-9]+))?([Zz]|[-+][0-9]{2}:[0-9]{2})?')
GREGORIAN_CYCLE = timedelta(days=146097)  # 400 years: the calendar repeats after them


def parse_time(value):
    """A naive UTC datetime from an RFC 3339 date-time, 'YYYY-MM-DD HH:MM:SS' (UTC) or another
    ISO 8601 spelling; None if it is none of them.

    A fraction of a second rounds up, as stored times are whole seconds (`>= x.5` is `>= x+1`),
    and a leap second (`:60`) is the start of the next minute. A time that falls before the
    calendar's first second or after its last once moved to UTC is that second, so that every
    RFC 3339 date-time is a filter.
    """
    if not isinstance(value, str):
        return None
    text = OFFSET_AS_SPACE.sub(r'+\1', value.strip())
    match = RFC3339.fullmatch(text)
    try:
        if match:
            return _rfc3339(*match.groups())
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = moment.utcoffset() or timedelta(0)
    return _clamped(moment.replace(tzinfo=None) - FIRST_SECOND - offset)


def _rfc3339(year, month, day, hour, minute, second, fraction, offset):
    # Year 0 has no datetime: read the date 400 years on, where the calendar is the same.
    shift = GREGORIAN_CYCLE if year == '0000' else timedelta(0)
    moment = datetime(int(year) + (400 if shift else 0), int(month), int(day), int(hour),
                      int(minute), 59 if second == '60' else int(second))
    later = second == '60' or bool(fraction and fraction.strip('0'))
    east = timedelta(0)
    if offset not in (None, 'Z', 'z'):
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(offset)
        east = timedelta(hours=hours, minutes=minutes) * (-1 if offset[0] == '-' else 1)
    return _clamped(moment - FIRST_SECOND - shift - east + _SECOND * later)


def _clamped(since_first):
    """The whole second at or after `since_first` past the calendar's first second, kept
    between the calendar's first and last seconds."""
    seconds = -(-since_first // _SECOND)  # a fraction rounds up
    return FIRST_SECOND + _SECOND * min(max(seconds, 0), _LAST)


def time_text(moment):
    """The stored spelling of a time, with a four-digit year (strftime drops the zeros)."""
    return moment.isoformat(' ', 'seconds')


TIME_RULE = "a time: 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601 with an offset"
TIME_HELP = ("An RFC 3339 date-time, or 'YYYY-MM-DD HH:MM:SS' in UTC (other ISO 8601 spellings "
             'are read too; without an offset a time is UTC). A fraction of a second rounds up to '
             'the next second, and a time before 0001-01-01 00:00:00 or after 9999-12-31 23:59:59 '
             'in UTC counts as that second.')


class Timestamp(fields.Field):
    """A point in time; loads as the stored 'YYYY-MM-DD HH:MM:SS' UTC text."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = parse_time(value)
        if moment is None:
            raise ValidationError(f'{attr} must be {TIME_RULE}.')
        return time_text(moment)

    def json_schema(self):
        return {'type': 'string', 'format': 'date-time'}


class Age(fields.Field):
    """An age such as `30d`, `12h` or `90m`, or a time; loads as the cut-off time (UTC text)."""

    PATTERN = AGE_RE.pattern.replace('^', '^ *').replace('$', ' *$')

    def _deserialize(self, value, attr, data, **kwargs):
        match = AGE_RE.fullmatch(value.strip(' ')) if isinstance(value, str) else None
        if match:
            age = timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})
            moment = _clamped(datetime.now(UTC).replace(tzinfo=None) - FIRST_SECOND - age)
        else:
            moment = parse_time(value)
        if moment is None:
            raise ValidationError(f"{attr} must be an age such as 30d, 12h or 90m, or a time "
                                  "('YYYY-MM-DD HH:MM:SS' UTC, or ISO 8601 with an offset).")
        return time_text(moment)

    def json_schema(self):
        return {'anyOf': [{'type': 'string', 'pattern': self.PATTERN},
                          {'type': 'string', 'format': 'date-time'}]}


class Duration(fields.Field):
    """A length of time such as `2h`, `90m` or `7d`, or whole seconds; loads as seconds."""

    PATTERN = r'^ *(?!0+[dhm])([0-9]{1,6})([dhm]) *$'  # AGE_RE, but not zero

    SECONDS = QueryInteger()

    def _deserialize(self, value, attr, data, **kwargs):
        match = AGE_RE.fullmatch(value.strip(' ')) if isinstance(value, str) else None
        if match:
            seconds = int(timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})
                          .total_seconds())
        else:
            try:
                seconds = self.SECONDS.deserialize(value, attr)
            except ValidationError:
                seconds = 0
        if 0 < seconds <= MAX_DURATION:
            return seconds
        raise ValidationError(f'{attr} must be a duration such as 2h, 90m or 7d, or a number of '
                              f'seconds from 1 to {MAX_DURATION}.')

    def json_schema(self):
        return {'anyOf': [{'type': 'string', 'pattern': self.PATTERN},
                          {'type': 'integer', 'minimum': 1, 'maximum': MAX_DURATION},
                          *([{'type': 'null'}] if self.allow_none else [])]}


MAX_DURATION = 999999 * 86400  # the longest AGE_RE spells

# WordPress's global parameters: accepted by every route, whatever its own parameters are.
GLOBAL_PARAMS = frozenset(('_wpnonce', '_method', '_envelope', '_locale', '_fields'))


class Received(dict):
    """A writing request's parameters, knowing which came from its JSON body: those carry JSON's
    types, so a JSON string is not an integer, while forms and query strings spell every value
    as text."""

    def __init__(self, params=(), from_json=()):
        super().__init__(params)
        self.from_json = frozenset(from_json)


def _plain(data):
    """A query string or form as a dict: a repeated parameter's first value wins."""
    return data.to_dict(flat=True) if hasattr(data, 'to_dict') else data


class Missing(str):
    """The message of a required parameter left out. Its type is the error's kind, so that a
    missing parameter is told from an invalid one without reading marshmallow's text."""

    def format(self, *args, **kwargs):
        return self  # marshmallow formats every message; this one keeps its type


class Params(Schema):
    """Base of every parameter schema: a missing required field says so with a `Missing`."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.error_messages = {**field_obj.error_messages,
                                    'required': Missing('Missing data for required field.')}


class ArgsSchema(Params):
    """Base for a reading route's parameters: unknown ones are ignored and an empty value means
    unset, as in WordPress."""

    # Field-specific answers replacing the generic rest_invalid_param: name -> (code, message)
    error_codes = {}

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def prepare(self, data, **kwargs):
        data = _plain(data)
        return {k: v for k, v in data.items() if v != '' and v is not None}


class StrictSchema(Params):
    """An object whose unknown keys are refused, each named, rather than ignored: a misspelt
    option (`dryRun`) must never be dropped silently by a route that writes."""

    error_codes = {}
    # Keys accepted, and ignored, although no field reads them.
    ignored = frozenset()

    class Meta:
        unknown = EXCLUDE  # refused in `prepare`, except the `ignored` ones

    @pre_load
    def prepare(self, data, **kwargs):
        data = _plain(data)
        if not isinstance(data, dict):
            return data  # marshmallow answers that it must be an object
        names = {field.data_key or name: field for name, field in self.load_fields.items()}
        unknown = [key for key in data if key not in names and key not in self.ignored]
        if unknown:
            raise ValidationError({key: [unknown_parameter(key, names)] for key in unknown})
        return self.tidy(data, names)

    def tidy(self, data, fields_by_name):
        """Adjust the known keys before validation."""
        return data


class BodyArgs(StrictSchema):
    """Base for a writing route's parameters (body, form and query string together): unknown keys
    refused, WordPress's global parameters ignored, every value given validated as given, and an
    empty or null required parameter counted as missing."""

    ignored = GLOBAL_PARAMS

    def tidy(self, data, fields_by_name):
        from_json = getattr(data, 'from_json', ())
        data = {k: v for k, v in data.items()
                if v not in ('', None) or k not in fields_by_name or
                not fields_by_name[k].required}
        texts = [key for key in from_json if isinstance(data.get(key), str) and
                 isinstance(fields_by_name.get(key), QueryInteger)]
        if texts:
            raise ValidationError({key: [f'{key} must be an integer.'] for key in texts})
        return data

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        name = field_obj.data_key or field_name
        field_obj.error_messages = {**field_obj.error_messages,
                                    'null': f'{name} must not be null.'}


class NoArgs(BodyArgs):
    """A writing route that takes no parameters but WordPress's global ones."""


def unknown_parameter(key, names):
    """The sentence for an unknown key, suggesting the parameter it probably meant."""
    snake = re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', str(key)).lower().replace('-', '_')
    close = [snake] if snake in names else difflib.get_close_matches(snake, list(names), n=1)
    hint = f' Did you mean {close[0]}?' if close else ''
    return f'{key} is not a parameter of this route.{hint}'
