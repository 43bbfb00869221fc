"""The dashboard's session: sign in with an application password (a cookie and a nonce), read the
session back after a reload (a fresh nonce), sign out."""
from flask import Blueprint, make_response, request

from ..auth import (
    CAPABILITIES,
    invalid_credentials,
    not_logged_in,
    session_principal,
    verify_password,
)
from ..config import settings
from ..schemas import no_args, sign_in_args
from ..services import sessions
from ..vocabulary import SESSION_COOKIE
from .params import body_params, parse

bp = Blueprint('session', __name__)


def _cookie_options():
    """HttpOnly (no script reads it), SameSite=Strict (no other site sends it) and Secure when
    the request came over https (as the trusted proxy says, DATAMACHINE_PROXY_HOPS)."""
    return {'path': '/', 'secure': request.is_secure, 'httponly': True, 'samesite': 'Strict'}


def _answer(principal, token):
    return {'success': True, 'data': {
        'user': {'id': principal.user_id, 'username': principal.username,
                 'role': principal.role,
                 'capabilities': list(CAPABILITIES.get(principal.role, ()))},
        'app_password': principal.password_name,
        'nonce': sessions.nonce(token, settings().session_key)}}


@bp.post('/session')
def sign_in():
    """Open a session for a user's application password; the cookie carries it from now on."""
    args = parse(sign_in_args, body_params())
    principal = verify_password(args['username'], args['password'])
    if principal is None:
        raise invalid_credentials(args['username'])
    config = settings()
    token = sessions.open_session(principal.password_id, config.session_key,
                                  config.session_idle_timeout, config.session_lifetime)
    response = make_response(_answer(principal, token))
    response.set_cookie(SESSION_COOKIE, token, max_age=config.session_lifetime, **_cookie_options())
    return response


@bp.get('/session')
def current_session():
    """Who the session cookie signs in, with a fresh nonce (the page asks after a reload)."""
    principal = session_principal(require_nonce=False)
    if principal is None:
        raise not_logged_in()
    return _answer(principal, request.cookies[SESSION_COOKIE])


@bp.delete('/session')
def sign_out():
    """End the session (the cookie and its nonce must be sent, as for any other change)."""
    parse(no_args, body_params())
    principal = session_principal(require_nonce=True)
    if principal is None:
        raise not_logged_in()
    sessions.close_session(principal.session_id)
    response = make_response({'success': True})
    response.delete_cookie(SESSION_COOKIE, **_cookie_options())
    return response
