"""The check a server runs before it takes traffic, so that a bad setting, an unreachable
database or a schema behind the code stops it with one line instead of failing every request."""
from . import create_app, db
from .config import ConfigError


def problem():
    """One line saying why the service cannot serve as configured, or None."""
    try:
        app = create_app()
    except ConfigError as err:
        return str(err)
    try:
        problem = db.schema_problem()
        return problem and problem.detail
    finally:
        app.extensions['datamachine_database'].close_all()  # workers open their own
