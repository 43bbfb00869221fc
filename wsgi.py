"""Production entry point: `gunicorn wsgi:app` (settings in gunicorn.conf.py)."""
from datamachine_jobs import create_app

app = create_app()
