"""Authentication, two ways as in WordPress: HTTP Basic with an application password, or the
dashboard's session cookie together with its nonce in X-WP-Nonce (services/sessions.py); then the
capability check.

401 answers never say whether the user exists; 403 means a known user without the capability, or
a session cookie sent with a wrong or outdated nonce; 429 means too many failures of this login
from this address (services/throttle.py). A cookie without a nonce is ignored, so that a page of
another site cannot act with it.
"""
from dataclasses import dataclass

from flask import current_app, request
from flask_httpauth import HTTPBasicAuth

from . import metrics, passwords
from .config import settings
from .errors import APIError
from .services import accounts, sessions
from .vocabulary import NONCE_HEADER, SESSION_COOKIE

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
    # How the request was authenticated, as the audit log names it: 'http' or 'dashboard'.
    via: str = 'http'
    session_id: int | None = None


@auth.verify_password
def verify_password(login, password):
    """Find the user by username or email and match one of their live application passwords;
    without Basic credentials, the dashboard session the request's cookie and nonce name."""
    if not login:
        return session_principal(require_nonce=True)
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


def session_principal(require_nonce):
    """The Principal of the request's live session cookie, or None. With `require_nonce` (every
    route but GET /session) the cookie counts only beside X-WP-Nonce, and a wrong or outdated
    nonce is a 403."""
    token = request.cookies.get(SESSION_COOKIE)
    nonce = request.headers.get(NONCE_HEADER)
    if not token or (require_nonce and nonce is None):
        return None
    config = settings()
    live = sessions.find_live(token, config.session_key, config.session_idle_timeout,
                              config.session_lifetime)
    if live is None:
        return None
    if require_nonce and not sessions.nonce_matches(nonce, token, config.session_key):
        metrics.AUTH_FAILURES.labels('rest_cookie_invalid_nonce').inc()
        raise APIError(403, 'rest_cookie_invalid_nonce', 'Cookie check failed')
    return Principal(live.user_id, live.username, live.role, live.password_id,
                     live.password_name, via='dashboard', session_id=live.session_id)


def invalid_credentials(login, headers=None):
    """The 401 of a wrong login or application password, counted towards the throttle."""
    current_app.extensions['datamachine_throttle'].record_failure(request.remote_addr, login)
    metrics.AUTH_FAILURES.labels('invalid_credentials').inc()
    return APIError(401, 'invalid_credentials', 'Invalid username or application password.',
                    headers)


def not_logged_in(headers=None):
    metrics.AUTH_FAILURES.labels('rest_not_logged_in').inc()
    return APIError(401, 'rest_not_logged_in', 'You are not currently logged in.', headers)


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
        metrics.AUTH_FAILURES.labels('rest_forbidden').inc()
        raise APIError(403, 'rest_forbidden', 'You do not have permission to manage jobs.')
    # No Basic challenge to the dashboard: a browser would open its own login dialog.
    challenge = None if (SESSION_COOKIE in request.cookies or NONCE_HEADER in request.headers) \
        else {'WWW-Authenticate': f'Basic realm="{REALM}"'}
    credentials = auth.get_auth()
    if credentials is None:
        raise not_logged_in(challenge)
    raise invalid_credentials(credentials.username, challenge)


def protect(blueprint):
    """Require an administrator's application password on every route of `blueprint`."""
    blueprint.before_request(auth.login_required(role=MANAGE_OPTIONS)(lambda: None))
