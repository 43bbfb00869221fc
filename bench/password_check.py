"""The cost of one application-password check: the keyed digest and constant-time compare alone,
and the whole verification with its database lookup (a fresh SQLite file in a temp folder).

    python bench/password_check.py
"""
import os
import sys
import tempfile
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from datamachine_jobs import auth, create_app, db, passwords  # noqa: E402
from datamachine_jobs.services import accounts  # noqa: E402


def best(function, number):
    return min(timeit.repeat(function, number=number, repeat=3)) / number * 1e6


def main():
    key = b'k' * 32
    plain = passwords.generate()
    stored = passwords.digest(plain, key)
    check = best(lambda: passwords.matches(stored, passwords.digest(plain, key)), 200_000)
    print(f'digest + compare: {check:.2f} us')
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({'database_url': f'sqlite:///{folder}/check.db', 'secret_key': 'x'})
        with app.app_context(), db.database.connection_context():
            db.migration_runner().up()
            accounts.create_user('ops', 'administrator')
            key = app.extensions['datamachine_config'].password_key
            _, plain = accounts.create_app_password('ops', 'n', key)
        with app.test_request_context('/'), db.database.connection_context():
            assert auth.verify_password('ops', plain)
            print(f'verify_password with its SQLite lookup: '
                  f'{best(lambda: auth.verify_password("ops", plain), 20_000):.1f} us')


if __name__ == '__main__':
    main()
