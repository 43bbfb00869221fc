"""Settings read from the environment once, at startup.

Every variable is listed in docs/deploy.md's configuration table with the same default.
"""
import dataclasses
import functools
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

from flask import current_app

ORIGIN = re.compile(r'https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?')


class ConfigError(ValueError):
    """A setting has a value the service cannot use; the message names the variable."""


@dataclass(frozen=True)
class Config:
    """The service's settings; `from_env` is the only place that reads the environment."""

    # peewee db_url; None means an SQLite file in the Flask instance folder.
    database_url: str | None = None
    # Key of the application-password digests; None means generated once into the instance folder.
    secret_key: str | None = None
    # Rows deleted per transaction by the clears (at most 30000: SQLite's bound-parameter limit).
    clear_batch_size: int = 10000
    # Seconds a client should wait before retrying when the database is unavailable.
    retry_after: int = 5
    # How many proxies in front of the service to trust for X-Forwarded-For/-Proto (0: none).
    proxy_hops: int = 0
    # Bearer token that GET /metrics requires; None leaves it open (keep it off the internet).
    metrics_token: str | None = None
    # Seconds an Idempotency-Key and the answer it got are kept.
    idempotency_ttl: int = 86400
    # Failed authentications of one client address and login per window before 429 (0: never).
    auth_failure_limit: int = 20
    # Seconds of that window; windows are fixed, so a count starts again at each window's start.
    auth_failure_window: int = 300
    # Seconds a dashboard session lasts without a request, and at most from sign-in.
    session_idle_timeout: int = 43200
    session_lifetime: int = 172800
    # Seconds an operation's heartbeat may age before another worker takes the operation over.
    operation_lease: int = 30
    # Seconds without a heartbeat (or since started_at, for a job claimed without a lease) after
    # which a processing job counts as stuck; and seconds after which a pending one does.
    stuck_timeout: int = 7200
    stuck_pending_timeout: int = 86400
    # Origins whose pages may call the API from a browser (scheme://host[:port]; `*` for any,
    # without credentials). Empty: none.
    cors_origins: tuple = ()

    def resolved(self, instance_path):
        """These settings with the instance-folder defaults filled in (database file, secret)."""
        return dataclasses.replace(
            self,
            database_url=self.database_url or instance_database_url(instance_path),
            secret_key=self.secret_key or _instance_secret(os.path.join(instance_path,
                                                                        'secret_key')))

    @functools.cached_property
    def password_key(self):
        """The application-password digest key: 32 bytes whatever the secret's length (BLAKE2b
        keys stop at 64 bytes)."""
        return hashlib.sha256(self.secret_key.encode()).digest()

    @functools.cached_property
    def cursor_key(self):
        """The key that signs paging cursors, derived so it never equals the password key."""
        return hashlib.blake2b(b'cursor', key=self.password_key, digest_size=32).digest()

    @functools.cached_property
    def session_key(self):
        """The key of session-token digests and nonces."""
        return hashlib.blake2b(b'session', key=self.password_key, digest_size=32).digest()

    @classmethod
    def from_env(cls, environ=os.environ):
        """Build the settings from DATAMACHINE_* variables, keeping defaults for unset ones."""
        return cls(
            database_url=environ.get('DATAMACHINE_DATABASE_URL') or None,
            secret_key=environ.get('DATAMACHINE_SECRET_KEY') or None,
            clear_batch_size=_int_setting(environ, 'DATAMACHINE_CLEAR_BATCH_SIZE', 10000,
                                           maximum=30000),
            retry_after=_int_setting(environ, 'DATAMACHINE_RETRY_AFTER', 5),
            proxy_hops=_int_setting(environ, 'DATAMACHINE_PROXY_HOPS', 0, minimum=0, maximum=5),
            metrics_token=environ.get('DATAMACHINE_METRICS_TOKEN') or None,
            idempotency_ttl=_int_setting(environ, 'DATAMACHINE_IDEMPOTENCY_TTL', 86400),
            auth_failure_limit=_int_setting(environ, 'DATAMACHINE_AUTH_FAILURE_LIMIT', 20,
                                            minimum=0),
            auth_failure_window=_int_setting(environ, 'DATAMACHINE_AUTH_FAILURE_WINDOW', 300),
            session_idle_timeout=_int_setting(environ, 'DATAMACHINE_SESSION_IDLE_TIMEOUT', 43200),
            session_lifetime=_int_setting(environ, 'DATAMACHINE_SESSION_LIFETIME', 172800),
            operation_lease=_int_setting(environ, 'DATAMACHINE_OPERATION_LEASE', 30),
            stuck_timeout=_int_setting(environ, 'DATAMACHINE_STUCK_TIMEOUT', 7200),
            stuck_pending_timeout=_int_setting(environ, 'DATAMACHINE_STUCK_PENDING_TIMEOUT',
                                               86400),
            cors_origins=_origins(environ.get('DATAMACHINE_CORS_ORIGINS', '')),
        )


def _int_setting(environ, name, default, maximum=None, minimum=1):
    """Read an integer setting, failing at startup with the variable's name when it is bad."""
    raw = environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < minimum or (maximum and int(raw) > maximum):
        kind = 'a positive integer' if minimum else 'an integer from 0'
        limit = f' up to {maximum}' if maximum else ''
        raise ConfigError(f'{name} must be {kind}{limit}, got {raw!r}')
    return int(raw)


def _origins(raw):
    """The origins of DATAMACHINE_CORS_ORIGINS (comma- or space-separated), each checked."""
    origins = tuple(part for part in re.split(r'[\s,]+', raw) if part)
    for origin in origins:
        if origin != '*' and not ORIGIN.fullmatch(origin):
            raise ConfigError(f'DATAMACHINE_CORS_ORIGINS: {origin!r} is not an origin (use '
                              'scheme://host or scheme://host:port, no path; or *)')
    return origins


def instance_database_url(instance_path):
    """The default database: an SQLite file in the Flask instance folder."""
    os.makedirs(instance_path, exist_ok=True)
    return 'sqlite:///' + os.path.join(instance_path, 'datamachine.db')


def settings():
    """The running app's settings (create_app puts them there)."""
    return current_app.extensions['datamachine_config']


def _instance_secret(path):
    """Read the generated secret, creating it once; a hard link publishes it whole, so concurrent
    workers all end up with the same one."""
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        draft = f'{path}.{os.getpid()}'
        with open(draft, 'w', opener=lambda p, flags: os.open(p, flags, 0o600)) as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path) as fh:
        return fh.read().strip()
