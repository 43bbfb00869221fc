"""Users and their application passwords."""
import uuid

from peewee import IntegrityError

from .. import passwords
from ..models import AppPassword, User, utcnow


class AccountError(ValueError):
    """A request about users or passwords that cannot be carried out; the message says why."""


def create_user(username, role, email=None):
    """Create a user; the username and the email must be unused."""
    try:
        return User.create(username=username, role=role, email=email)
    except IntegrityError:
        raise AccountError(f'a user named {username!r} or with that email already exists') from None


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
