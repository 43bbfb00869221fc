"""datamachine-jobs: monitor and clean up workflow executions over HTTP."""
import dataclasses

from flask import Flask

from .vocabulary import API_PREFIX

MAX_BODY_BYTES = 1024 * 1024


class Service(Flask):
    """Flask, answering OPTIONS with JSON (the route's methods and arguments) where Flask's
    default is an empty text/html page."""

    def make_default_options_response(self):
        from . import cors
        default = super().make_default_options_response()
        response = self.json.response(cors.options_answer(default.allow))
        response.headers['Allow'] = default.headers['Allow']
        return response


def create_app(overrides=None):
    """Build the WSGI app: settings, database binding, errors, auth and routes.

    `overrides` may hold Config field names (database_url, ...) and Flask settings (TESTING).
    The settings live in one place, `app.extensions['datamachine_config']` (`config.settings()`).
    Nothing touches the database here: connections open on first use in a request.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import cli, cors, db, request_log
    from .api import ids
    from .api.audit import bp as audit_bp
    from .api.dashboard import bp as dashboard_bp
    from .api.docs import bp as docs_bp
    from .api.export import bp as export_bp
    from .api.flows import bp as flows_bp
    from .api.jobs import bp as jobs_bp
    from .api.leases import bp as leases_bp
    from .api.monitoring import bp as monitoring_bp
    from .api.operations import bp as operations_bp
    from .api.processed_items import bp as processed_items_bp
    from .api.retention import bp as retention_bp
    from .api.session import bp as session_bp
    from .config import Config
    from .errors import register_error_handlers
    from .jsonio import OrjsonProvider
    from .services.throttle import FailureThrottle

    app = Service(__name__, instance_relative_config=True)
    overrides = dict(overrides or {})
    known = {f.name for f in dataclasses.fields(Config)}
    config = dataclasses.replace(
        Config.from_env(), **{k: overrides.pop(k) for k in list(overrides) if k in known})
    app.config.update(overrides)
    app.config['MAX_CONTENT_LENGTH'] = MAX_BODY_BYTES
    config = app.extensions['datamachine_config'] = config.resolved(app.instance_path)
    app.extensions['datamachine_throttle'] = FailureThrottle(config.auth_failure_limit,
                                                             config.auth_failure_window)
    app.json = OrjsonProvider(app)
    app.url_map.strict_slashes = False
    ids.init_app(app)
    if config.proxy_hops:  # the client address and scheme as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops,
                                x_proto=config.proxy_hops)

    db.init_app(app, config.database_url)
    register_error_handlers(app)
    request_log.init_app(app)
    cors.init_app(app)
    app.register_blueprint(jobs_bp, url_prefix=API_PREFIX)
    app.register_blueprint(leases_bp, url_prefix=API_PREFIX)
    app.register_blueprint(processed_items_bp, url_prefix=API_PREFIX)
    app.register_blueprint(audit_bp, url_prefix=API_PREFIX)
    app.register_blueprint(retention_bp, url_prefix=API_PREFIX)
    app.register_blueprint(flows_bp, url_prefix=API_PREFIX)
    app.register_blueprint(export_bp, url_prefix=API_PREFIX)
    app.register_blueprint(docs_bp, url_prefix=API_PREFIX)
    app.register_blueprint(session_bp, url_prefix=API_PREFIX)
    app.register_blueprint(operations_bp, url_prefix=API_PREFIX)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(dashboard_bp)
    cli.register(app)
    return app

