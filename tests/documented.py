"""Every answer the suite gets from the API is checked against the OpenAPI document: status,
headers and body (tests use this test client through support.make_app), so the document cannot
drift from the code."""
import functools

from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from datamachine_jobs import openapi
from datamachine_jobs.vocabulary import API_PREFIX

UNCHECKED_METHODS = ('OPTIONS', 'HEAD')  # OPTIONS has its own test; HEAD has no body
DOCS_PAGE = f'{API_PREFIX}/docs'  # the live docs' HTML and scripts: a page, not the API


@functools.cache
def document():
    return OpenAPI.from_dict(openapi.build())


class DocumentedClient(FlaskClient):
    """A test client that fails a test whose answer the document does not describe."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check(response)
        return response


def check(response):
    request = response.request
    if (not request.path.startswith(API_PREFIX) or request.path.startswith(DOCS_PAGE)
            or request.method in UNCHECKED_METHODS
            or response.is_streamed):  # an export: reading it here would drain the stream
        return
    try:
        document().validate_response(WerkzeugOpenAPIRequest(request),
                                     WerkzeugOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        # No such route or method: the answer says so, in the one envelope.
        assert response.status_code in (404, 405), (request.method, request.path)
        assert response.get_json()['data']['status'] == response.status_code
    except Exception as error:
        cause = error.__cause__
        details = getattr(cause, 'schema_errors', None) or [cause or error]
        raise AssertionError(
            f'{request.method} {request.full_path} answered {response.status_code} '
            f'{response.get_data(as_text=True)[:300]!r}, which the OpenAPI document does not '
            f'describe: {error!r}: ' + '; '.join(
                getattr(detail, 'message', str(detail))[:300] for detail in details)) from error
