"""Seeded benchmark databases, cached between runs under bench/data/ (SQLite) or as databases
named dmj_bench_<purpose>_<size> (MySQL)."""
import contextlib
import os
from urllib.parse import urlparse

import pymysql

from datamachine_jobs import create_app, db
from datamachine_jobs.models import User
from datamachine_jobs.services import accounts, listing, seed

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data')
SECRET = 'bench-secret'
USERNAME = 'bench'
MYSQL_URL = os.environ.get('DATAMACHINE_BENCH_MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')


def url_for(backend, size, purpose):
    if backend == 'sqlite':
        return f'sqlite:///{os.path.join(DATA, f"{purpose}-{size}.db")}'
    return urlparse(MYSQL_URL)._replace(path=f'/dmj_bench_{purpose}_{size}').geturl()


def mysql_admin(sql):
    """Run one statement on the MariaDB server as its administrator; return its rows."""
    target = urlparse(MYSQL_URL)
    with pymysql.connect(host=target.hostname, port=target.port or 3306,
                         user=target.username or 'root', password=target.password or '',
                         autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# MariaDB set up like the server the plugin's clear was timed on (its 209.5 s for 1M jobs).
TUNED = {'innodb_buffer_pool_size': 4 * 1024 ** 3, 'innodb_flush_log_at_trx_commit': 2}


@contextlib.contextmanager
def tuned_mariadb():
    """The server with the TUNED settings meanwhile (both change at run time), then as before."""
    before = {name: mysql_admin(f'SELECT @@GLOBAL.{name}')[0][0] for name in TUNED}
    for name, value in TUNED.items():
        mysql_admin(f'SET GLOBAL {name} = {value}')
    try:
        yield
    finally:
        for name, value in before.items():
            mysql_admin(f'SET GLOBAL {name} = {value}')


def _drop(backend, url):
    if backend == 'sqlite':
        path = urlparse(url).path
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        name = urlparse(url).path.lstrip('/')
        mysql_admin(f'DROP DATABASE IF EXISTS `{name}`')
        mysql_admin(f'CREATE DATABASE `{name}` CHARACTER SET utf8mb4 '
                     'COLLATE utf8mb4_unicode_ci')


def _credentials_path(backend, size, purpose):
    return os.path.join(DATA, f'{backend}-{purpose}-{size}.credentials')


def _cached(app, size, credentials):
    """True when the database holds exactly the seeded jobs and the stored credentials. Newer
    migrations are applied to it (they keep the data) rather than seeding it again, which takes
    half an hour at 10M jobs."""
    if not os.path.exists(credentials):
        return False
    try:
        with app.app_context(), db.database.connection_context():
            total = int(db.database.execute_sql(*listing.count_sql()).fetchone()[0])
            if total != size or not User.select().where(User.username == USERNAME).exists():
                return False
            db.migration_runner().up()
            return True
    except Exception:  # missing database or tables: seed again
        return False


def prepare(backend, size, purpose='read', log=print):
    """A database of `size` seeded jobs: (url, username, password). Reused when still intact."""
    os.makedirs(DATA, exist_ok=True)
    url = url_for(backend, size, purpose)
    credentials = _credentials_path(backend, size, purpose)
    app = create_app({'database_url': url, 'secret_key': SECRET})
    try:
        if _cached(app, size, credentials):
            log(f'reusing {url}')
        else:
            log(f'seeding {size:,} jobs into {url}')
            _drop(backend, url)
            with app.app_context(), db.database.connection_context():
                db.migration_runner().up()
                seed.seed(size, rng_seed=1)
                accounts.create_user(USERNAME, 'administrator')
                _, password = accounts.create_app_password(
                    USERNAME, 'bench', app.extensions['datamachine_config'].password_key)
                if backend == 'sqlite':  # sampled statistics: a full ANALYZE of 10M takes 9 min
                    db.database.execute_sql('PRAGMA analysis_limit = 10000')
                    db.database.execute_sql('ANALYZE')
                else:
                    db.database.execute_sql('ANALYZE TABLE datamachine_jobs, '
                                            'datamachine_processed_items')
            with open(credentials, 'w') as fh:
                fh.write(password)
        with open(credentials) as fh:
            return url, USERNAME, fh.read().strip()
    finally:
        database = app.extensions['datamachine_database']
        if hasattr(database, 'close_all'):
            database.close_all()
