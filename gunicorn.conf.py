"""gunicorn settings for production; `gunicorn wsgi:app` reads this file from the working directory.

Command-line flags override any of these (`gunicorn -b 0.0.0.0:8000 -w 8 wsgi:app`).
"""
import multiprocessing
import os
import shutil
import sys
import tempfile

bind = '127.0.0.1:8000'
# Measured by `make bench-workers` (bench/results/workers-*.md): on SQLite sync workers serve
# about 15% more short requests than gthread, but a sync worker is killed once one request runs
# past `timeout` (a clear of a million jobs takes minutes) and closes every connection; gthread
# workers keep nginx's upstream connections alive and heartbeat while a long request runs. More
# workers than cores, or 8 threads, lost throughput and p99; 2 to 4 threads are within noise,
# and 4 leave room beside a slow clear or summary.
worker_class = 'gthread'
workers = multiprocessing.cpu_count()
threads = 4
# nginx bounds requests (deploy/nginx.conf: the request line and each header line within 32k)
# and answers larger ones in JSON; gunicorn takes whatever nginx passes on rather than refuse it in
# HTML. Its largest finite request line (8190 bytes) is shorter than a filter of 20 long statuses,
# so that limit is off; a header may be 32k and what nginx appends to X-Forwarded-For; the number
# of headers is gunicorn's most.
limit_request_line = 0
limit_request_field_size = 64 * 1024
limit_request_fields = 32768
# A worker silent for this long is killed and replaced; clears commit in batches well inside it.
timeout = 30
# On SIGTERM or SIGHUP a worker finishes its requests in flight for up to this long.
graceful_timeout = 30
# nginx keeps connections to the upstream open for reuse; keep them a little longer than it does.
keepalive = 75
# No control socket: it would be created under $HOME, which is read-only in many deployments.
control_socket_disable = True
# The app logs one JSON line per request itself (with the request id and the user), and
# gunicorn's own messages are JSON lines too, so that the whole log parses one way.
accesslog = None
logconfig_dict = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'json': {'()': 'datamachine_jobs.request_log.JsonLines'}},
    'handlers': {'stderr': {'class': 'logging.StreamHandler', 'formatter': 'json',
                            'stream': 'ext://sys.stderr'}},
    'root': {'level': 'INFO', 'handlers': []},
    'loggers': {'gunicorn.error': {'level': 'INFO', 'handlers': ['stderr'], 'propagate': False},
                'gunicorn.access': {'level': 'INFO', 'handlers': [], 'propagate': False}},
}

# Metrics: every worker writes its samples to files in this folder and /metrics sums them. It has
# to be set before prometheus-client is imported, so here; it is emptied at every start.
_own_metrics_dir = 'PROMETHEUS_MULTIPROC_DIR' not in os.environ
if _own_metrics_dir:
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = tempfile.mkdtemp(prefix='datamachine-jobs-metrics-')


def on_starting(server):
    """Refuse to boot, with one line and exit status 1, when the service could not serve."""
    from datamachine_jobs import startup

    problem = startup.problem()
    if problem:
        print(f'datamachine-jobs: {problem}', file=sys.stderr, flush=True)
        on_exit(server)
        sys.exit(1)
    folder = os.environ['PROMETHEUS_MULTIPROC_DIR']
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))


def post_worker_init(worker):
    """Watch, in a thread of each worker, for the operations (clears asked with Prefer:
    respond-async) whose worker died, and finish them here once their lease has expired."""
    from datamachine_jobs.api.operations import watch

    if 'datamachine_config' in getattr(worker.wsgi, 'extensions', {}):  # not bench/floor.py's
        watch(worker.wsgi)


def child_exit(server, worker):
    """Let the metrics of a worker that has gone stop counting as live."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ['PROMETHEUS_MULTIPROC_DIR'], ignore_errors=True)
