"""The jobs dashboard: the page built from dashboard/ (committed under static/dashboard, so that
no host needs Node), at /dashboard/, with / leading there."""
import os

from flask import Blueprint, redirect, send_from_directory, url_for

BUILD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'static',
                     'dashboard')
YEAR = 365 * 24 * 3600

bp = Blueprint('dashboard', __name__)


@bp.get('/')
def home():
    return redirect(url_for('dashboard.page'))


@bp.get('/dashboard/')
def page():
    """The page itself: never cached, so a new release is picked up at the next load."""
    response = send_from_directory(BUILD, 'index.html', max_age=0)
    response.headers['Cache-Control'] = 'no-cache'
    return response


@bp.get('/dashboard/assets/<path:name>')
def asset(name):
    """Scripts, styles and fonts, named by their content's hash: cached for a year."""
    response = send_from_directory(os.path.join(BUILD, 'assets'), name, max_age=YEAR)
    response.headers['Cache-Control'] = f'public, max-age={YEAR}, immutable'
    return response
