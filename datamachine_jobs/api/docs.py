"""The OpenAPI document, served without authentication so that tools can discover the API."""
from flask import Blueprint, current_app

from .. import openapi

bp = Blueprint('docs', __name__)


def cached_document():
    """The OpenAPI document as a dict, built once per process."""
    document = current_app.extensions.get('datamachine_openapi')
    if document is None:
        document = current_app.extensions['datamachine_openapi'] = openapi.build()
    return document


@bp.get('/openapi.json')
def openapi_document():
    """The OpenAPI 3.1 document of the API."""
    return cached_document()
