"""datamachine-jobs: monitor and clean up workflow executions over HTTP."""
import dataclasses
import hashlib

from flask import Flask
from werkzeug.routing import IntegerConverter

from .vocabulary import API_PREFIX

MAX_BODY_BYTES = 1024 * 1024


def create_app(overrides=None):
    """Build the WSGI app: settings, database binding, errors, auth and routes.

    `overrides` may hold Config field names (database_url, ...) and Flask settings (TESTING).
    Nothing touches the database here: connections open on first use in a request.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import cli, db, request_log
    from .api.audit_log import bp as audit_bp
    from .api.docs import bp as docs_bp
    from .api.jobs import bp as jobs_bp
    from .api.operations import bp as operations_bp
    from .api.processed_items import bp as processed_items_bp
    from .config import Config, digest_key, instance_database_url
    from .errors import register_error_handlers
    from .jsonio import OrjsonProvider
    from .services.throttle import FailureThrottle

    app = Flask(__name__, instance_relative_config=True)
    overrides = dict(overrides or {})
    known = {f.name for f in dataclasses.fields(Config)}
    config = dataclasses.replace(
        Config.from_env(), **{k: overrides.pop(k) for k in list(overrides) if k in known})
    app.config.update(overrides)
    app.config['MAX_CONTENT_LENGTH'] = MAX_BODY_BYTES
    app.config['CLEAR_BATCH_SIZE'] = config.clear_batch_size
    app.config['METRICS_TOKEN'] = config.metrics_token
    app.config['RETRY_AFTER'] = config.retry_after
    app.config['IDEMPOTENCY_TTL'] = config.idempotency_ttl
    app.extensions['datamachine_throttle'] = FailureThrottle(config.auth_failure_limit,
                                                             config.auth_failure_window)
    app.config['PASSWORD_DIGEST_KEY'] = digest_key(config.secret_key, app.instance_path)
    app.config['CURSOR_KEY'] = hashlib.blake2b(b'cursor', key=app.config['PASSWORD_DIGEST_KEY'],
                                               digest_size=32).digest()
    app.json = OrjsonProvider(app)
    app.url_map.strict_slashes = False
    app.url_map.converters['int'] = AsciiIntegerConverter
    if config.proxy_hops:  # the client address and scheme as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops,
                                x_proto=config.proxy_hops)

    db.init_app(app, config.database_url or instance_database_url(app.instance_path))
    register_error_handlers(app, config.retry_after)
    request_log.init_app(app)
    app.register_blueprint(jobs_bp, url_prefix=API_PREFIX)
    app.register_blueprint(processed_items_bp, url_prefix=API_PREFIX)
    app.register_blueprint(audit_bp, url_prefix=API_PREFIX)
    app.register_blueprint(docs_bp, url_prefix=API_PREFIX)
    app.register_blueprint(operations_bp)
    cli.register(app)
    return app


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits only, as the OpenAPI document says (werkzeug's `\\d`
    takes any script's digits, so /jobs/\u0663, ARABIC-INDIC DIGIT THREE, was job 3)."""

    regex = '[0-9]+'
