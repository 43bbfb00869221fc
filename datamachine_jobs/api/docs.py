"""The OpenAPI document and the live docs page (Swagger UI), served without authentication so
that tools and people can discover the API. Swagger UI's files come from the flask-swagger-ui
package and are served from here: the page needs nothing beyond this service."""
import os

import flask_swagger_ui
from flask import Blueprint, abort, current_app, redirect, send_from_directory, url_for

from .. import openapi
from .dashboard import PAGE_HEADERS

PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'static',
                    'docs')
SWAGGER_UI = os.path.join(os.path.dirname(os.path.abspath(flask_swagger_ui.__file__)), 'dist')
FILES = {'docs.js': PAGE, 'swagger-ui.css': SWAGGER_UI, 'swagger-ui-bundle.js': SWAGGER_UI,
         'favicon-32x32.png': SWAGGER_UI}

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


# The page finds its files and the API relative to its own address, which has no trailing slash.
@bp.get('/docs', strict_slashes=True)
def page():
    """Swagger UI on this API's document."""
    response = send_from_directory(PAGE, 'index.html', max_age=0)
    response.headers.update(PAGE_HEADERS)
    return response


@bp.get('/docs/', strict_slashes=True)
def page_with_slash():
    return redirect(url_for('.page'), 301)


@bp.get('/docs/<name>')
def page_file(name):
    """The page's script, and Swagger UI's from its package; revalidated on every load, so
    that an upgrade shows at once."""
    if name not in FILES:
        abort(404)
    return send_from_directory(FILES[name], name, max_age=0)
