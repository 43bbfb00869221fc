"""Benchmark the service under its production gunicorn config with wrk, beside two floors.

    python bench/run.py --backend sqlite --size 1000000
    python bench/run.py --target http://127.0.0.1:8080 --auth user:pass   # any other server

Each list scenario is driven over loopback for a fixed time at a fixed connection count. The
framework floor is the same gunicorn config serving a precomputed body of the same size (no auth,
no database); the database floor is the same SQL run by the same driver in a tight loop in one
process. Results go to bench/results/<backend>-<size>.md.
"""
import argparse
import base64
import contextlib
import logging
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlparse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import datasets  # noqa: E402
from datamachine_jobs import create_app, db  # noqa: E402
from datamachine_jobs.services import swap  # noqa: E402
from datamachine_jobs.vocabulary import API_PREFIX  # noqa: E402

RESULTS = os.path.join(ROOT, 'bench', 'results')
SCENARIOS = [
    ('default list', '/jobs'),
    ('status=failed', '/jobs?status=failed'),
    ('flow page', '/jobs?flow_id=42&per_page=25&offset=0'),
    ('pipeline', '/jobs?pipeline_id=5'),
    ('by completed_at', '/jobs?orderby=completed_at&order=DESC'),
    ('deep offset', '/jobs?status=failed&per_page=100&offset=50000'),
    ('one job', '/jobs/{middle}'),
    ('deep cursor', '/jobs?status=failed&per_page=100&cursor={cursor}'),
    ('summary of a flow', '/jobs/summary?flow_id=42'),
    ('summary of all', '/jobs/summary'),
    ('summary of a pipeline by flow', '/jobs/summary?pipeline_id=5&group_by=flow_id'),
    ('summary of 24 hours', '/jobs/summary?completed_after={day_ago}'),
    ('summary of 30 days', '/jobs/summary?started_after={month_ago}'),
    ('flows health (24 hours)', '/flows/health?window={day_of_data}'),
    ('flows health, problems of a pipeline',
     '/flows/health?window={day_of_data}&pipeline_id=5&problems=true'),
]
LIST_SCENARIOS = 8  # the first eight are list reads, the ones the targets apply to
UNITS = {'us': 0.001, 'ms': 1.0, 's': 1000.0}
WRITERS, WRITE_WINDOW = 4, 5  # runners writing jobs during a clear, for its first seconds
FREEING_WINDOW = 15  # and for the first seconds of freeing what a swap set aside
CLEAR_TIMEOUT = 1800  # seconds a timed clear may take (MariaDB's `all` under load: 10 minutes)
ANSWER_TIMEOUT = 120  # seconds: a scenario slower than this once is reported, not measured


def log(message):
    print(f'[{datetime.now(UTC):%H:%M:%S}] {message}', flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app_spec, env=None, options=()):
    """Serve `app_spec` with the production gunicorn.conf.py (and `options` over it) on a free
    loopback port."""
    port = free_port()
    logfile = open(os.path.join(RESULTS, '.gunicorn.log'), 'a')
    process = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '-c', 'gunicorn.conf.py', '-b', f'127.0.0.1:{port}',
         *options, app_spec], cwd=ROOT, env={**os.environ, **(env or {})}, stdout=logfile,
        stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f'gunicorn exited with {process.returncode}; see '
                                   f'{logfile.name}')
            with contextlib.suppress(requests.ConnectionError):
                requests.get(base + '/', timeout=1)
                break
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        try:  # a worker still inside a slow request gets gunicorn's graceful_timeout (30 s)
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        logfile.close()


def wrk(url, seconds, connections, headers=(), background=False):
    """Drive `url` with wrk; return its figures (or the process, when in the background)."""
    command = ['wrk', '-t2', f'-c{connections}', f'-d{seconds}s', '--latency', '--timeout', '10s']
    for header in headers:
        command += ['-H', header]
    process = subprocess.Popen(command + [url], stdout=subprocess.PIPE, text=True)
    return process if background else parse_wrk(process.communicate()[0])


def parse_wrk(output):
    def number(pattern, default=0.0):
        match = re.search(pattern, output)
        return float(match.group(1)) if match else default

    def latency(percent):
        match = re.search(rf'\s{percent}%\s+([\d.]+)(us|ms|s)\b', output)
        return float(match.group(1)) * UNITS[match.group(2)] if match else None

    socket_errors = sum(int(n) for n in re.findall(r'(?:connect|read|write|timeout) (\d+)',
                                                   output))
    return {'rps': number(r'Requests/sec:\s+([\d.]+)'), 'p50': latency(50), 'p99': latency(99),
            'requests': int(number(r'(\d+) requests in')),
            'errors': int(number(r'Non-2xx or 3xx responses: (\d+)')) + socket_errors}


def stop_wrk(process):
    """Stop a background wrk early; it still prints its figures."""
    process.send_signal(signal.SIGINT)
    return parse_wrk(process.communicate(timeout=30)[0])


def resolve(base, headers, size):
    """Fill the scenario placeholders: a job in the middle, a cursor deep into failed jobs, and
    times 24 hours before the newest completion and 30 days before the newest start (windows
    that end with the data, however long ago it was seeded, and start off the hour, as real ones
    do); for the flow health, whose window ends now, the seconds back to that first time."""
    session = requests.Session()
    session.headers.update(dict(h.split(': ', 1) for h in headers))
    failed = session.get(f'{base}{API_PREFIX}/jobs?status=failed&per_page=1', timeout=60).json()
    depth = max(0, min(49_900, failed['total'] - 200))
    page = session.get(f'{base}{API_PREFIX}/jobs?status=failed&per_page=100&offset={depth}',
                       timeout=60).json()
    newest = session.get(f'{base}{API_PREFIX}/jobs?per_page=1', timeout=60).json()['data']
    middle = newest[0]['job_id'] - size // 2 if newest else 1

    def latest(column):
        found = session.get(f'{base}{API_PREFIX}/jobs?orderby={column}&per_page=1',
                            timeout=60).json()['data']
        moment = found[0][column] if found else None
        return datetime.fromisoformat(moment) if moment else datetime(2026, 1, 1)

    off_the_hour = timedelta(minutes=17, seconds=13)
    day_ago = latest('completed_at') - timedelta(hours=24) - off_the_hour
    since_day_ago = datetime.now(UTC).replace(tzinfo=None) - day_ago
    return {'middle': max(middle, 1), 'cursor': page.get('next_cursor') or '',
            'day_ago': quote(str(day_ago)), 'day_of_data': int(since_day_ago.total_seconds()),
            'month_ago': quote(str(latest('started_at') - timedelta(days=30) - off_the_hour))}


def body_size(base, headers, path):
    response = requests.get(base + path, headers=dict(h.split(': ', 1) for h in headers),
                            timeout=ANSWER_TIMEOUT)
    if response.status_code != 200:
        raise RuntimeError(f'{path} answered {response.status_code}: {response.text[:200]}')
    return len(response.content)


def database_floor(url, username, password, path, seconds=2.0):
    """Requests/s if a request cost only its SQL: the statements one request runs, replayed by
    the same driver in a tight loop in one process."""
    app = create_app({'database_url': url, 'secret_key': datasets.SECRET})
    statements = []

    class Capture(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):  # (sql, params); the pool logs plain text too
                statements.append(record.msg)

    handler, logger = Capture(), logging.getLogger('peewee')
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    token = base64.b64encode(f'{username}:{password}'.encode()).decode()
    try:
        app.test_client().get(path, headers={'Authorization': f'Basic {token}'})
    finally:
        logger.removeHandler(handler)
    with app.app_context(), db.database.connection_context():
        cursor = db.database.cursor()
        loops, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            for sql, params in statements:
                cursor.execute(sql, params or ())  # peewee logs None for no parameters
                cursor.fetchall()
            loops += 1
        elapsed = time.perf_counter() - started
    database = app.extensions['datamachine_database']
    if hasattr(database, 'close_all'):
        database.close_all()
    return loops / elapsed, len(statements)


def worker_rss(master_pid):
    """Anonymous resident memory (KiB) of each gunicorn worker: the heap, without the pages of
    the SQLite file it maps (which the kernel shares and reclaims)."""
    rss = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f'/proc/{pid}/status') as fh:
                status = dict(line.split(':', 1) for line in fh if ':' in line)
            if int(status['PPid']) == master_pid:
                rss[int(pid)] = int(status['RssAnon'].split()[0])
    return rss


def measure(base, headers, paths, args, floors=None):
    """Run every scenario; with `floors` (url, user, password), beside its two floors."""
    rows = []
    for name, path in paths:
        url = base + API_PREFIX + path
        try:
            size = body_size(base, headers, API_PREFIX + path)
        except requests.Timeout:
            log(f'{name}: no answer in {ANSWER_TIMEOUT} s, not measured')
            rows.append({'name': name, 'path': path, 'bytes': None, 'rps': None, 'p50': None,
                         'p99': None, 'errors': f'no answer in {ANSWER_TIMEOUT} s'})
            continue
        log(f'{name}: {API_PREFIX + path[:80]} ({size} bytes)')
        row = {'name': name, 'path': path, 'bytes': size,
               **wrk(url, args.duration, args.connections, headers)}
        if floors:
            floor_base, (db_url, username, password) = floors
            # A floor is a ceiling of throughput: the better of two runs, against noise.
            row['framework'] = max(wrk(f'{floor_base}/floor/{size}', args.floor_duration,
                                       args.connections)['rps'] for _ in range(2))
            row['database'], row['statements'] = database_floor(
                db_url, username, password, API_PREFIX + path)
        rows.append(row)
    return rows


def clear_timings(backend, size, args):
    """DELETE failed then all jobs, each with cleanup_processed, under GET load and with
    runners writing jobs during the clear's first WRITE_WINDOW seconds."""
    from bench import writes  # which builds on this module's helpers

    url, username, password = datasets.prepare(backend, size, purpose='clear', log=log)
    token = base64.b64encode(f'{username}:{password}'.encode()).decode()
    headers = [f'Authorization: Basic {token}']
    results = []
    with gunicorn('wsgi:app', {'DATAMACHINE_DATABASE_URL': url,
                               'DATAMACHINE_SECRET_KEY': datasets.SECRET}) as (base, _), \
            ThreadPoolExecutor(1) as background:
        for clear_type in ('failed', 'all'):
            load = wrk(f'{base}{API_PREFIX}/jobs?flow_id=42&per_page=25', CLEAR_TIMEOUT,
                       args.connections, headers, background=True)
            time.sleep(1)
            wrote = background.submit(writes.measure, base, token, WRITERS, WRITE_WINDOW)
            started = time.perf_counter()
            answer = requests.delete(
                f'{base}{API_PREFIX}/jobs', timeout=CLEAR_TIMEOUT,
                headers=dict(h.split(': ', 1) for h in headers),
                json={'type': clear_type, 'cleanup_processed': True}).json()
            seconds = time.perf_counter() - started
            during = stop_wrk(load)
            log(f'clear {clear_type}: {seconds:.2f} s, {answer}')
            results.append({'type': clear_type, 'seconds': seconds, 'answer': answer,
                            'get': during, 'writes': wrote.result()})
            if set_aside(url):  # a swap: measure the same load while its old tables are freed
                load = wrk(f'{base}{API_PREFIX}/jobs?flow_id=42&per_page=25', CLEAR_TIMEOUT,
                           args.connections, headers, background=True)
                wrote = background.submit(writes.measure, base, token, WRITERS, FREEING_WINDOW)
                started = time.perf_counter()
                while set_aside(url) and time.perf_counter() - started < CLEAR_TIMEOUT:
                    time.sleep(0.5)
                seconds = time.perf_counter() - started
                log(f'freeing after clear {clear_type}: {seconds:.1f} s')
                results.append({'type': f'{clear_type}: freeing afterwards', 'seconds': seconds,
                                'answer': {}, 'get': stop_wrk(load), 'writes': wrote.result()})
    return results  # the clear database is used up: the next run seeds it again


def set_aside(url):
    """The tables a swap set aside and the service has not freed yet."""
    if url.startswith('sqlite'):
        with contextlib.closing(sqlite3.connect(urlparse(url).path)) as connection:
            names = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return [name for (name,) in names if swap.ASIDE in name]
    schema = urlparse(url).path.lstrip('/')
    return [name for (name,) in datasets.mysql_admin(
        'SELECT table_name FROM information_schema.tables '
        f"WHERE table_schema = '{schema}'") if swap.ASIDE in name]


def memory_over(base, master_pid, path, headers, args, requests_wanted=100_000):
    """Worker memory before and after about `requests_wanted` requests of `path`."""
    before = worker_rss(master_pid)
    done = 0
    for _ in range(30):  # 20-second runs until enough requests went through, 10 minutes at most
        done += wrk(base + API_PREFIX + path, 20, args.connections, headers)['requests']
        if done >= requests_wanted:
            break
    return {'requests': done, 'before': before, 'after': worker_rss(master_pid)}


def fmt(value, digits=1):
    return '-' if value is None else f'{value:,.{digits}f}'


def export_timings(base, headers):
    """GET /jobs/export of every job, once as NDJSON and once as CSV, by one client reading as
    fast as it can: jobs per second."""
    timings = []
    for form in ('ndjson', 'csv'):
        started, lines = time.perf_counter(), 0
        with requests.get(f'{base}{API_PREFIX}/jobs/export?format={form}', stream=True,
                          timeout=CLEAR_TIMEOUT,
                          headers=dict(h.split(': ', 1) for h in headers)) as response:
            response.raise_for_status()
            for chunk in response.iter_content(1 << 20):
                lines += chunk.count(b'\n')
        seconds = time.perf_counter() - started
        jobs = lines - (form == 'csv')  # the header row (seeded jobs have one-line messages)
        log(f'export {form}: {jobs:,} jobs in {seconds:.1f} s')
        timings.append({'format': form, 'jobs': jobs, 'seconds': seconds})
    return timings


def write_report(name, rows, context, clears=None, memory=None, exports=None):
    lines = [f'# {name}', '', f'Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {context}.']
    if rows:
        lines += ['', '| scenario | req/s | p50 ms | p99 ms | errors | framework floor req/s | '
                  '% of floor | database floor req/s | % of db floor |',
                  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in rows:
        framework, database = row.get('framework'), row.get('database')
        lines.append(
            f"| {row['name']} | {fmt(row['rps'])} | {fmt(row['p50'], 2)} | "
            f"{fmt(row['p99'], 2)} | {row['errors']} | {fmt(framework)} | "
            f"{fmt(100 * row['rps'] / framework if framework else None, 0)} | "
            f"{fmt(database)} | {fmt(100 * row['rps'] / database if database else None, 0)} |")
    if rows:
        lines += ['', 'Scenarios: ' + '; '.join(f"{r['name']} = `{r['path'][:60]}` "
                                                f"({r['bytes'] or '-'} bytes)" for r in rows)]
    if clears:
        lines += ['', '## Clears (cleanup_processed=true), GET /jobs?flow_id=42 meanwhile, and '
                  f'{WRITERS} runners writing jobs for the first {WRITE_WINDOW} s (of freeing '
                  f'what a swap set aside: {FREEING_WINDOW} s)', '',
                  '| clear | seconds | jobs deleted | items deleted | GET req/s | GET p50 ms | '
                  'GET p99 ms | GET errors | write cycles/s | POST/PATCH p99 ms | write errors |',
                  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
        for clear in clears:
            answer, get, wrote = clear['answer'], clear['get'], clear['writes']
            worst = max((wrote[call][1] for call in ('create', 'claim', 'finish', 'record')
                         if wrote[call][1] is not None), default=None)
            lines.append(f"| {clear['type']} | {clear['seconds']:.2f} | "
                         f"{answer.get('jobs_deleted')} | {answer.get('processed_items_cleaned')}"
                         f" | {fmt(get['rps'])} | {fmt(get['p50'], 2)} | {fmt(get['p99'], 2)} "
                         f"| {get['errors']} | {fmt(wrote['cycles'])} | {fmt(worst, 2)} "
                         f"| {wrote['errors']} |")
    if exports:
        lines += ['', '## GET /jobs/export of every job, one client', '',
                  '| format | jobs | seconds | jobs/s |', '| --- | ---: | ---: | ---: |']
        lines += [f"| {e['format']} | {e['jobs']:,} | {e['seconds']:.2f} | "
                  f"{fmt(e['jobs'] / e['seconds'], 0)} |" for e in exports]
    if memory:
        lines += ['', f"## Worker memory over {memory['requests']:,} requests", '',
                  '| worker | anonymous RSS before, KiB | after, KiB |', '| --- | ---: | ---: |']
        for pid, before in memory['before'].items():
            lines.append(f"| {pid} | {before:,} | {memory['after'].get(pid, 0):,} |")
    path = os.path.join(RESULTS, f'{name}.md')
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    log(f'wrote {path}')


def context_line(args, backend=None, load=None):
    """The machine, the software and the load (wrk's options unless `load` says otherwise)."""
    parts = [f'{os.cpu_count()} CPUs', f'Python {platform.python_version()}',
             load or f'wrk -t2 -c{args.connections} -d{args.duration}s']
    if backend == 'sqlite':
        import sqlite3
        parts.append(f'SQLite {sqlite3.sqlite_version}')
    elif backend == 'mysql':
        app = create_app({'database_url': datasets.MYSQL_URL})
        with app.app_context(), db.database.connection_context():
            parts.append(f"MariaDB {db.database.execute_sql('SELECT VERSION()').fetchone()[0]}")
        app.extensions['datamachine_database'].close_all()
    return ', '.join(parts)


def run_local(backend, size, args):
    rows, memory, exports = [], None, None
    if not args.clears_only:  # the reads' dataset is seeded only when reads are measured
        url, username, password = datasets.prepare(backend, size, args.dataset, log=log)
        token = base64.b64encode(f'{username}:{password}'.encode()).decode()
        headers = [f'Authorization: Basic {token}']
        env = {'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': datasets.SECRET}
        # The floor app shares the config, whose boot check wants a migrated database: this one.
        with gunicorn('wsgi:app', env) as (base, master), \
                gunicorn('bench.floor:app', env) as (floor, _):
            values = resolve(base, headers, size)
            paths = [(name, path.format(**values)) for name, path in SCENARIOS
                     if not args.only or args.only in name]
            rows = measure(base, headers, paths, args, floors=(floor, (url, username, password)))
            if not args.only or args.only == 'export':
                exports = export_timings(base, headers)
            if not (args.skip_memory or args.only):
                log('worker memory over 100,000 requests')
                memory = memory_over(base, master, paths[6][1], headers, args)
    clears = None
    if not (args.skip_clear or args.only):
        tuned = args.tuned and backend == 'mysql'
        with datasets.tuned_mariadb() if tuned else contextlib.nullcontext():
            clears = clear_timings(backend, size, args)
    name = '-'.join([backend, str(size)] + ([re.sub(r'[^a-z0-9]+', '-', args.only)]
                                            if args.only else [])
                    + (['clears'] if args.clears_only else [])
                    + (['tuned'] if args.tuned and backend == 'mysql' else []))
    context = context_line(args, backend) + (
        ', MariaDB tuned: ' + ', '.join(f'{k}={v}' for k, v in datasets.TUNED.items())
        if args.tuned and backend == 'mysql' else '')
    write_report(name, rows, context, clears, memory, exports)


def run_target(args):
    user, _, password = args.auth.partition(':')
    token = base64.b64encode(f'{user}:{password}'.encode()).decode()
    headers = [f'Authorization: Basic {token}']
    base = args.target.rstrip('/').removesuffix(API_PREFIX)
    values = resolve(base, headers, args.size[0] if args.size else 1_000_000)
    rows = measure(base, headers, [(n, p.format(**values)) for n, p in SCENARIOS], args)
    write_report(f'target-{re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-")}', rows,
                 context_line(args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--backend', choices=('sqlite', 'mysql'))
    parser.add_argument('--size', type=int, action='append',
                        help='jobs in the database; repeat for several sizes')
    parser.add_argument('--duration', type=int, default=8, help='seconds per scenario')
    parser.add_argument('--floor-duration', type=int, default=3)
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--skip-clear', action='store_true')
    parser.add_argument('--skip-memory', action='store_true')
    parser.add_argument('--only', help='measure only the scenarios whose name holds this text '
                                       '(export: only the export)')
    parser.add_argument('--clears-only', action='store_true', help='only the clears')
    parser.add_argument('--dataset', choices=('read', 'clear'), default='read', help=(
        "the database the reads are measured on: clear is the clears' own (the same jobs), "
        'read on it with --only before the clears use it up'))
    parser.add_argument('--tuned', action='store_true', help=(
        "MariaDB: time the clears with a 4 GiB buffer pool and innodb_flush_log_at_trx_commit=2, "
        "as on the server the plugin's clear was timed on"))
    parser.add_argument('--target', help='benchmark another server at this base URL instead')
    parser.add_argument('--auth', help='USER:PASS for --target')
    args = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if args.target:
        if not args.auth:
            parser.error('--target needs --auth USER:PASS')
        return run_target(args)
    if not args.backend or not args.size:
        parser.error('give --backend and --size (or --target and --auth)')
    for size in args.size:
        run_local(args.backend, size, args)


if __name__ == '__main__':
    main()
