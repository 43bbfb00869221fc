"""`users` and `app-passwords`."""
import click
from flask.cli import AppGroup

from .. import passwords
from ..auth import ROLES
from ..config import settings
from ..services import accounts
from .common import with_database

users_cli = AppGroup('users', help='Manage users.')


@users_cli.command('create')
@click.argument('username')
@click.option('--role', type=click.Choice(ROLES), required=True, help='WordPress role.')
@click.option('--email', default=None, help='Email address; it may stand for the username.')
@with_database()
def users_create(username, role, email):
    """Create a user."""
    accounts.create_user(username, role, email)
    click.echo(f'Created {role} {username!r}.')


@users_cli.command('list')
@with_database()
def users_list():
    """List the users and their roles."""
    click.echo('username\temail\trole\tcreated_at')
    for row in accounts.list_users():
        click.echo('\t'.join('-' if value is None else str(value) for value in row))


passwords_cli = AppGroup('app-passwords', help='Manage application passwords.')


@passwords_cli.command('create')
@click.argument('username')
@click.argument('name')
@with_database()
def app_passwords_create(username, name):
    """Create an application password; it is printed once, on the last line."""
    record, plain = accounts.create_app_password(
        username, name, settings().password_key)
    click.echo(f'Created application password {name!r} for {username!r} (uuid {record.uuid}).')
    click.echo('It is shown only this once:')
    click.echo(passwords.grouped(plain))


@passwords_cli.command('list')
@click.argument('username')
@with_database()
def app_passwords_list(username):
    """List a user's application passwords."""
    click.echo('uuid\tname\tcreated_at\tlast_used_at\tlast_ip\trevoked_at')
    for p in accounts.list_app_passwords(username):
        click.echo('\t'.join(str(v) if v is not None else '-' for v in (
            p.uuid, p.name, p.created_at, p.last_used_at, p.last_ip, p.revoked_at)))


@passwords_cli.command('revoke')
@click.argument('username')
@click.argument('uuid')
@with_database()
def app_passwords_revoke(username, uuid):
    """Revoke an application password; it stops working at once."""
    accounts.revoke_app_password(username, uuid)
    click.echo(f'Revoked {uuid}.')
