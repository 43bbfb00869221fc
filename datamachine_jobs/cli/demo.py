"""`seed` and `demo`: data to try the service with."""
import click
from flask.cli import with_appcontext

from .. import passwords
from ..config import settings
from ..models import Job, User
from ..services import accounts
from ..services import seed as seeding
from ..vocabulary import API_PREFIX
from .common import with_database


@click.command('seed')
@with_appcontext
@click.option('--jobs', 'count', type=click.IntRange(min=1), required=True,
              help='How many jobs to add.')
@click.option('--random-seed', type=int, default=None, help='Make the data reproducible.')
@with_database()
def seed_command(count, random_seed):
    """Add realistic demo jobs and processed items after the existing ones."""
    jobs, items = seeding.seed(count, rng_seed=random_seed)
    click.echo(f'Added {jobs} jobs and {items} processed items.')


@click.command('demo')
@with_appcontext
@click.option('--username', default='admin', show_default=True)
@click.option('--jobs', 'count', type=click.IntRange(min=0), default=500, show_default=True)
@click.option('--url', default='http://127.0.0.1:5000', show_default=True,
              help='Where the service will listen, for the dashboard and curl lines.')
@with_database()
def demo_command(username, count, url):
    """First-run setup: an administrator with a password printed once, and demo jobs. Idempotent."""
    if User.get_or_none(User.username == username) is None:
        accounts.create_user(username, 'administrator')
        _, plain = accounts.create_app_password(
            username, 'demo', settings().password_key)
        credentials = f'{username}:{passwords.grouped(plain)}'
        click.echo(f'Created administrator {username!r}. Its application password, shown once:')
        click.echo(f'    {passwords.grouped(plain)}')
        click.echo('Try:')
        click.echo(f"    curl -u '{credentials}' {url}{API_PREFIX}/jobs")
    else:
        click.echo(f'User {username!r} exists. For a new password: '
                   f'datamachine-jobs app-passwords create {username} NAME')
    click.echo(f'Dashboard: {url}/dashboard/ (sign in as {username} with an application '
               'password)')
    if count and not Job.select().exists():
        jobs, items = seeding.seed(count)
        click.echo(f'Added {jobs} demo jobs and {items} processed items.')
