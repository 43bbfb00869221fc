"""The jobs dashboard: the page built from dashboard/ (committed under static/dashboard, so that
no host needs Node), at /dashboard/, with / leading there."""
import os

from flask import Blueprint, redirect, send_from_directory, url_for

BUILD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'static',
                     'dashboard')
YEAR = 365 * 24 * 3600
# The page's scripts and requests come from here only; its components inject <style> elements.
PAGE_HEADERS = {
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' "
                               "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
                               "base-uri 'self'; form-action 'self'",
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
}

bp = Blueprint('dashboard', __name__)


@bp.get('/')
def home():
    return redirect(url_for('dashboard.page'))


# /dashboard redirects here: the page finds the API relative to its own address.
@bp.get('/dashboard/', strict_slashes=True)
def page():
    """The page itself: never cached, so a new release is picked up at the next load."""
    response = send_from_directory(BUILD, 'index.html', max_age=0)
    response.headers.update(PAGE_HEADERS)
    return response


@bp.get('/dashboard/assets/<path:name>')
def asset(name):
    """Scripts, styles and fonts, named by their content's hash: cached for a year."""
    response = send_from_directory(os.path.join(BUILD, 'assets'), name, max_age=YEAR)
    response.headers['Cache-Control'] = f'public, max-age={YEAR}, immutable'
    return response
