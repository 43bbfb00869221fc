"""What the commands share: the database around a command, and printing records."""
import functools
import os

import click
import orjson
import peewee
from flask import current_app
from marshmallow import ValidationError

from .. import db
from ..config import instance_database_url, settings
from ..errors import DOMAIN_ERRORS, invalid_params
from ..services import accounts


def with_database(check_migrations=True, creates=False):
    """Run the command on an open connection and turn expected failures into one clear line
    naming the database. Only a command that `creates` its database may start from none: any
    other refuses an SQLite file that does not exist rather than make an empty one."""
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            url = settings().database_url
            where = db.describe(url)
            path = db.sqlite_path(url)
            problem = path and _sqlite_problem(path, url, creates)
            if problem:
                raise click.ClickException(problem)
            try:
                with db.database.connection_context():
                    if check_migrations and db.pending_migrations():
                        raise click.ClickException(f'the schema of {where} is not current: '
                                                   'run `datamachine-jobs db upgrade`')
                    return command(*args, **kwargs)
            except accounts.AccountError as err:
                raise click.ClickException(str(err)) from None
            except tuple(DOMAIN_ERRORS) as err:  # the API's answer to it, as one line
                raise click.ClickException(DOMAIN_ERRORS[type(err)](err).message) from None
            except (peewee.DatabaseError, peewee.InterfaceError) as err:
                raise click.ClickException(f'database error on {where}: {err}') from None
        return run
    return decorate


def _sqlite_problem(path, url, creates):
    """Why this user cannot use the SQLite file (missing, or not theirs to read and write), or
    None. SQLite itself would say only 'unable to open database file', or make an empty one."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None if creates else _no_database(path, url)
    except PermissionError:
        return _denied(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not (os.access(path, os.R_OK | os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        return _denied(path)  # its journal files go beside it
    return None


def _denied(path):
    return (f'permission denied on SQLite file {path} (or its folder): run the command as the '
            'user the service runs as, with its settings.')


def _no_database(path, url):
    if url == instance_database_url(current_app.instance_path):
        return (f'no database at {path}: DATAMACHINE_DATABASE_URL is not set, so this is the '
                'default SQLite file. Point DATAMACHINE_DATABASE_URL at the service\'s database '
                '(for example: set -a; . /etc/datamachine-jobs.env; set +a), or create this one '
                'with `datamachine-jobs db upgrade`.')
    return (f'no database at {path} (DATAMACHINE_DATABASE_URL): check the setting, or create it '
            'with `datamachine-jobs db upgrade`.')


def print_records(records, keys, as_json):
    """One line per record: its JSON, or a tab-separated row under a header of `keys`."""
    if not as_json:
        click.echo('\t'.join(keys))
    for record in records:
        click.echo(orjson.dumps(record).decode() if as_json else '\t'.join(
            '-' if value is None else orjson.dumps(value).decode() if isinstance(value, dict)
            else str(value) for value in record.values()))


def load(schema, options):
    """The options given, validated by the API's schema; a bad one is a usage error naming it."""
    try:
        return schema.load({k: v for k, v in options.items() if v is not None})
    except ValidationError as err:
        error = invalid_params(schema, err)
        raise click.UsageError(' '.join(map(str, error.data.get('params', {}).values()))
                               or error.message) from None


def echo_json(value, indent=False):
    """Print a value as JSON, as the API would answer it."""
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0).decode())
