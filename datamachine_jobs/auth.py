"""HTTP Basic authentication with application passwords, and the capability check.

401 answers never say whether the user exists; 403 means a known user without the capability;
429 means too many failures of this login from this address (services/throttle.py).
"""
from dataclasses import dataclass

from flask import current_app, request
from flask_httpauth import HTTPBasicAuth

from . import metrics, passwords
from .config import settings
from .errors import APIError
from .services import accounts

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
TOO_MANY_FAILURES = 'too_many_auth_failures'


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
    candidate = passwords.digest(password, settings().password_key)
    for password_id, name, stored, last_used_at, user_id, username, role in (
            accounts.live_passwords(login)):
        if passwords.matches(stored, candidate):
            accounts.record_use(password_id, last_used_at, request.remote_addr)
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


def protect(blueprint):
    """Require an administrator's application password on every route of `blueprint`."""
    blueprint.before_request(auth.login_required(role=MANAGE_OPTIONS)(lambda: None))
