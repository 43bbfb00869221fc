"""The `datamachine-jobs` command line: migrations, users, application passwords, jobs, processed
items, retention, the audit log, operations and demo data, acting on the configured database
through the same services as the API."""
from importlib.metadata import version

import click
from flask.cli import FlaskGroup

from .. import create_app
from ..config import ConfigError

FLASK_OPTIONS = ('app', 'debug', 'env_file')


def register(app):
    """Attach the commands to the app, where `flask` and the tests' CLI runner find them."""
    from .accounts import passwords_cli, users_cli
    from .database import db_cli
    from .demo import demo_command, seed_command
    from .items import items_cli
    from .jobs import flows_cli, jobs_cli
    from .records import audit_cli, operations_cli
    from .retention import retention_cli
    for command in (db_cli, users_cli, passwords_cli, jobs_cli, flows_cli, items_cli, audit_cli,
                    operations_cli, retention_cli, seed_command, demo_command):
        app.cli.add_command(command)


def load_app():
    """Build the app for a command, reporting a bad setting, or a file this user may not read or
    write (the instance folder, its secret), as one line instead of a traceback."""
    try:
        return create_app()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    except PermissionError as err:
        raise click.ClickException(f'{err.strerror}: {err.filename} (run as the user the service '
                                   'runs as, with its settings)') from None


def main():
    """Entry point of the `datamachine-jobs` console script: only its own commands and options
    (not Flask's run, shell and routes, nor its --app, --debug and --env-file: the settings come
    from the environment alone), and `--version` is the project's (Flask's own option would print
    Python's, Flask's and Werkzeug's)."""
    group = FlaskGroup(create_app=load_app, help=__doc__, add_version_option=False,
                       add_default_commands=False, load_dotenv=False, set_debug_flag=False)
    group.params = [param for param in group.params if param.name not in FLASK_OPTIONS]
    click.version_option(version('datamachine-jobs'), prog_name='datamachine-jobs')(group)
    group()
