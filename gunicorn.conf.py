"""gunicorn settings for production; `gunicorn wsgi:app` reads this file from the working directory.

Command-line flags override any of these (`gunicorn -b 0.0.0.0:8000 -w 8 wsgi:app`).
"""
import multiprocessing

bind = '127.0.0.1:8000'
# gthread keeps connections alive (sync answers every request with Connection: close) and lets a
# worker overlap database round trips; one worker per core, a few threads each.
worker_class = 'gthread'
workers = multiprocessing.cpu_count()
threads = 4
timeout = 30
graceful_timeout = 30
keepalive = 5
# No control socket: it would be created under $HOME, which is read-only in many deployments.
control_socket_disable = True
accesslog = '-'
