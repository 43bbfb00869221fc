"""HTTP Basic authentication with application passwords, and the capability check.

401 answers never say whether the user exists; 403 means a known user without the capability;
429 means too many failures of this login from this address (services/throttle.py).
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from flask_httpauth import HTTPBasicAuth

from . import metrics, passwords
from .db import database
from .errors import APIError
from .models import TIMESTAMP_FORMAT, AppPassword, timestamp_text

REALM = 'datamachine'
MANAGE_OPTIONS = 'manage_options'
# WordPress roles and the capabilities this service checks; only administrators manage jobs.
CAPABILITIES = {
    'administrator': (MANAGE_OPTIONS,),
    'editor': (),
    'author': (),
    'contributor': (),
    'subscriber': (),
}
ROLES = tuple(CAPABILITIES)
# last_used_at/last_ip are written at most this often per password, so reads stay reads.
TOUCH_INTERVAL = timedelta(minutes=1)
TOO_MANY_FAILURES = 'too_many_auth_failures'

# Every request runs this, so it is SQL text rather than an ORM query built each time.
LIVE_PASSWORDS_SQL = (
    'SELECT p.id, p.name, p.digest, p.last_used_at, u.id, u.username, u.role '
    'FROM datamachine_app_passwords p JOIN datamachine_users u ON u.id = p.user_id '
    'WHERE (u.username = {mark} OR u.email = {mark}) AND p.revoked_at IS NULL')

auth = HTTPBasicAuth(realm=REALM)


@dataclass(frozen=True)
class Principal:
    """Who made the request, and with which application password."""

    user_id: int
    username: str
    role: str
    password_id: int
    password_name: str


@auth.verify_password
def verify_password(login, password):
    """Find the user by username or email and match one of their live application passwords."""
    if not login:
        return None
    _refuse_while_throttled(login)
    if len(passwords.normalise(password)) != passwords.LENGTH:
        return None
    candidate = passwords.digest(password, current_app.config['PASSWORD_DIGEST_KEY'])
    rows = database.execute_sql(LIVE_PASSWORDS_SQL.format(mark=database.param), (login, login))
    for password_id, name, stored, last_used_at, user_id, username, role in rows.fetchall():
        if passwords.matches(stored, candidate):
            _record_use(password_id, timestamp_text(last_used_at))
            return Principal(user_id, username, role, password_id, name)
    return None


def _refuse_while_throttled(login):
    """Answer 429 from this worker's memory, before any lookup, while the login is blocked for
    this address, so that a guessing client stops costing queries."""
    wait = current_app.extensions['datamachine_throttle'].retry_after(request.remote_addr, login)
    if wait is not None:
        metrics.AUTH_FAILURES.labels(TOO_MANY_FAILURES).inc()
        raise APIError(429, TOO_MANY_FAILURES,
                       'Too many failed authentication attempts. Try again later.',
                       {'Retry-After': str(wait)})


def _record_use(password_id, last_used_at):
    """Note when and from where a password was used, unless that was done under a minute ago."""
    now = datetime.now(UTC)
    threshold = (now - TOUCH_INTERVAL).strftime(TIMESTAMP_FORMAT)
    if last_used_at is not None and last_used_at > threshold:
        return
    (AppPassword
     .update(last_used_at=now, last_ip=request.remote_addr)
     .where(AppPassword.id == password_id,
            AppPassword.last_used_at.is_null() | (AppPassword.last_used_at <= threshold))
     .execute())


@auth.get_user_roles
def capabilities(principal):
    """The capabilities of the principal's role (a tuple: flask-httpauth wraps other types)."""
    return CAPABILITIES.get(principal.role, ())


@auth.error_handler
def auth_error(status):
    """Raise the contract's error so that it renders in the one envelope."""
    if status == 403:
        error = APIError(403, 'rest_forbidden', 'You do not have permission to manage jobs.')
    else:
        challenge = {'WWW-Authenticate': f'Basic realm="{REALM}"'}
        credentials = auth.get_auth()
        if credentials is None:
            error = APIError(401, 'rest_not_logged_in', 'You are not currently logged in.',
                             challenge)
        else:
            current_app.extensions['datamachine_throttle'].record_failure(
                request.remote_addr, credentials.username)
            error = APIError(401, 'invalid_credentials',
                             'Invalid username or application password.', challenge)
    metrics.AUTH_FAILURES.labels(error.code).inc()
    raise error


require_manager = auth.login_required(role=MANAGE_OPTIONS)
