"""Job ids in URL paths: ASCII digits only, and an id too large for any job answers 404
job_not_found before the view runs, so views take ids as they come. (A processed item's id is
checked by services.processed_items.delete_item, after the attempt is audited.)"""
from werkzeug.routing import IntegerConverter

from ..exceptions import JobNotFound
from ..vocabulary import MAX_ID


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits only, as the OpenAPI document says (werkzeug's `\\d`
    takes any script's digits, so /jobs/\u0663, ARABIC-INDIC DIGIT THREE, was job 3)."""

    regex = '[0-9]+'


def refuse_unstorable(endpoint, values):
    """A url_value_preprocessor (rather than the converter, so the route and its metrics label
    stay matched): a job id beyond a 64-bit row id names no job."""
    if values and values.get('job_id', 0) > MAX_ID:
        raise JobNotFound(values['job_id'])


def init_app(app):
    app.url_map.converters['int'] = AsciiIntegerConverter
    app.url_value_preprocessor(refuse_unstorable)
