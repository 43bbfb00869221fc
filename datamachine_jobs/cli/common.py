"""What the commands share: the database around a command, and printing records."""
import functools

import click
import orjson
import peewee
from marshmallow import ValidationError

from .. import db
from ..errors import DOMAIN_ERRORS, invalid_params
from ..services import accounts


def with_database(check_migrations=True):
    """Run the command on an open connection and turn expected failures into one clear line."""
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            try:
                with db.database.connection_context():
                    if check_migrations and db.pending_migrations():
                        raise click.ClickException(
                            'the database schema is not current: run `datamachine-jobs db upgrade`')
                    return command(*args, **kwargs)
            except accounts.AccountError as err:
                raise click.ClickException(str(err)) from None
            except tuple(DOMAIN_ERRORS) as err:  # the API's answer to it, as one line
                raise click.ClickException(DOMAIN_ERRORS[type(err)](err).message) from None
            except (peewee.OperationalError, peewee.InterfaceError) as err:
                raise click.ClickException(f'database error: {err}') from None
        return run
    return decorate


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
