"""Users and their application passwords."""
import uuid
from datetime import UTC, datetime, timedelta

from peewee import IntegrityError

from .. import passwords
from ..db import database, unless_busy
from ..models import AppPassword, User, timestamp_text, utcnow
from ..vocabulary import TIMESTAMP_FORMAT

# last_used_at/last_ip are written at most this often per password, so reads stay reads.
TOUCH_INTERVAL = timedelta(minutes=1)
# Every request runs this, so it is SQL text rather than an ORM query built each time.
LIVE_PASSWORDS_SQL = (
    'SELECT p.id, p.name, p.digest, p.last_used_at, u.id, u.username, u.role '
    'FROM datamachine_app_passwords p JOIN datamachine_users u ON u.id = p.user_id '
    'WHERE (u.username = {mark} OR u.email = {mark}) AND p.revoked_at IS NULL')


def live_passwords(login):
    """(password id, name, digest, last used, user id, username, role) of every unrevoked
    application password of the user with this username or email."""
    rows = database.execute_sql(LIVE_PASSWORDS_SQL.format(mark=database.param), (login, login))
    return [(password_id, name, digest, timestamp_text(last_used_at), *user)
            for password_id, name, digest, last_used_at, *user in rows.fetchall()]


def record_use(password_id, last_used_at, remote_addr):
    """Note when and from where a password was used, unless that was done under a minute ago
    or the database is busy writing (the next request notes it then)."""
    now = datetime.now(UTC)
    threshold = (now - TOUCH_INTERVAL).strftime(TIMESTAMP_FORMAT)
    if last_used_at is not None and last_used_at > threshold:
        return
    unless_busy(AppPassword
                .update(last_used_at=now, last_ip=remote_addr)
                .where(AppPassword.id == password_id,
                       AppPassword.last_used_at.is_null() | (AppPassword.last_used_at <= threshold))
                .execute)


class AccountError(ValueError):
    """A request about users or passwords that cannot be carried out; the message says why."""


def create_user(username, role, email=None):
    """Create a user; the username and the email must be unused."""
    try:
        return User.create(username=username, role=role, email=email)
    except IntegrityError:
        raise AccountError(f'a user named {username!r} or with that email already exists') from None


def list_users():
    """Every user, by username: (username, email, role, created_at)."""
    return list(User.select(User.username, User.email, User.role, User.created_at)
                .order_by(User.username).tuples())


def find_user(username):
    """The user with this username, or an AccountError."""
    user = User.get_or_none(User.username == username)
    if user is None:
        raise AccountError(f'no user named {username!r}')
    return user


def create_app_password(username, name, key):
    """Create an application password; return (record, plain text). Only a digest is kept."""
    plain = passwords.generate()
    record = AppPassword.create(user=find_user(username), name=name, uuid=str(uuid.uuid4()),
                                digest=passwords.digest(plain, key))
    return record, plain


def list_app_passwords(username):
    """The user's application passwords, oldest first, revoked ones included."""
    return list(AppPassword.select()
                .where(AppPassword.user == find_user(username))
                .order_by(AppPassword.id))


def revoke_app_password(username, password_uuid):
    """Revoke one of the user's passwords; it stops working at once."""
    updated = (AppPassword.update(revoked_at=utcnow())
               .where(AppPassword.user == find_user(username), AppPassword.uuid == password_uuid,
                      AppPassword.revoked_at.is_null())
               .execute())
    if not updated:
        raise AccountError(f'{username!r} has no live application password {password_uuid!r}')
