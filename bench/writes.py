"""The write path: runners cycling create -> claim -> finish -> record 3 processed items.

For each backend and size (the read datasets of bench/run.py, left as found): 8 and 32
concurrent runners (threads in two client processes, each on its own keep-alive connection) for
`--duration` seconds, with every trigger, with the rollup triggers dropped (counts only) and with
none; beside the framework floor (the same client making four GETs of bench/floor.py per cycle).
Writes bench/results/writes-<backend>-<size>.md. Afterwards the jobs it created are deleted and
the triggers, counts and rollups rebuilt from the jobs (their migrations run again), so the
dataset stays reusable.
"""
import argparse
import base64
import http.client
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from threading import Thread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import datasets  # noqa: E402
from bench.run import RESULTS, context_line, fmt, gunicorn, log  # noqa: E402
from datamachine_jobs import create_app, db  # noqa: E402
from datamachine_jobs.migrating import job_counts, rollups  # noqa: E402
from datamachine_jobs.vocabulary import API_PREFIX  # noqa: E402

RUNNERS = (8, 32)
CLIENT_PROCESSES = 2
CALLS = ('create', 'claim', 'finish', 'record')
VARIANTS = {  # name: the trigger sets dropped
    'all triggers': (), 'counts only': (rollups,), 'no triggers': (rollups, job_counts)}
REBUILT = ('0004_job_counts', '0005_deferred_counting', '0011_job_rollups')
MAX_CYCLES = 200_000  # per runner thread: a bound on the loop besides the clock


def service_cycle(conn, headers, n):
    """One runner's cycle against the service: [(call, seconds)]."""
    flow = 1 + n % 200
    times = []

    def call(name, method, path, body):
        started = time.perf_counter()
        conn.request(method, API_PREFIX + path, json.dumps(body), headers)
        response = conn.getresponse()
        data = response.read()
        times.append((name, time.perf_counter() - started))
        if response.status >= 300:
            raise RuntimeError(f'{name}: {response.status} {data[:200]!r}')
        return json.loads(data)

    job = call('create', 'POST', '/jobs', {'pipeline_id': (flow - 1) // 10 + 1,
                                            'flow_id': flow})['data']['job_id']
    call('claim', 'PATCH', f'/jobs/{job}', {'status': 'processing'})
    call('finish', 'PATCH', f'/jobs/{job}', {'status': 'completed'})
    call('record', 'POST', f'/jobs/{job}/processed-items', {'items': [
        {'flow_step_id': f'bench_{flow}', 'source_type': 'rss',
         'item_identifier': f'https://bench.example/{job}/{k}'} for k in range(3)]})
    return times


def floor_cycle(conn, headers, n):
    """Four GETs of the floor app, of about the size of the service's answers."""
    times = []
    for name in CALLS:
        started = time.perf_counter()
        conn.request('GET', '/floor/300')
        conn.getresponse().read()
        times.append((name, time.perf_counter() - started))
    return times


def drive(port, token, threads, seconds, floor):
    """Run `threads` runners in this process until the clock runs out: (cycles, {call:
    [seconds]}, errors)."""
    cycle = floor_cycle if floor else service_cycle
    headers = {'Authorization': f'Basic {token}', 'Content-Type': 'application/json'}
    deadline = time.monotonic() + seconds
    results = [(0, {name: [] for name in CALLS}, []) for _ in range(threads)]

    def runner(index):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        cycles, latencies, errors = results[index]
        for n in range(MAX_CYCLES):
            if time.monotonic() >= deadline:
                break
            try:
                for name, took in cycle(conn, headers, index * MAX_CYCLES + n):
                    latencies[name].append(took)
                cycles += 1
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                errors.append(str(exc))
                conn.close()
                conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        results[index] = (cycles, latencies, errors)

    workers = [Thread(target=runner, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged = {name: [t for _, latencies, _ in results for t in latencies[name]]
              for name in CALLS}
    return (sum(c for c, _, _ in results), merged,
            [e for _, _, errors in results for e in errors])


def measure(base, token, runners, seconds, floor=False):
    """Cycles per second and per-call p50/p99 (ms) with `runners` concurrent runners."""
    port = int(base.rsplit(':', 1)[1])
    shares = [runners // CLIENT_PROCESSES + (i < runners % CLIENT_PROCESSES)
              for i in range(CLIENT_PROCESSES)]
    with ProcessPoolExecutor(CLIENT_PROCESSES) as pool:
        parts = list(pool.map(drive, [port] * len(shares), [token] * len(shares), shares,
                              [seconds] * len(shares), [floor] * len(shares)))
    latencies = {name: sorted(t for _, merged, _ in parts for t in merged[name])
                 for name in CALLS}
    errors = [e for _, _, errs in parts for e in errs]
    if errors:
        log(f'{len(errors)} errors, first: {errors[0]}')
    return {'cycles': sum(c for c, _, _ in parts) / seconds, 'errors': len(errors),
            **{name: (percentile(values, 50), percentile(values, 99))
               for name, values in latencies.items()}}


def percentile(values, percent):
    if not values:
        return None
    return 1000 * values[max(0, math.ceil(percent / 100 * len(values)) - 1)]


def with_database(url, work):
    """work(the database itself, not its proxy: the schema steps tell the dialect by its class)
    inside an app on `url`."""
    app = create_app({'database_url': url, 'secret_key': datasets.SECRET})
    try:
        with app.app_context(), db.database.connection_context():
            return work(db.database.obj)
    finally:
        pool = app.extensions['datamachine_database']
        if hasattr(pool, 'close_all'):
            pool.close_all()


def rebuild(url):
    """Every trigger, and the counts and rollups they keep, made again from the jobs."""
    def work(database):
        runner = db.migration_runner()
        for migration in runner.migrations():
            if migration.name in REBUILT:
                migration.load().up(runner.migrator, database)
    with_database(url, work)


def refresh_rollup_triggers(url):
    """The rollup triggers as this code writes them (a dataset migrated by an older one may
    hold others; the cells they keep are the same)."""
    def work(database):
        rollups.drop_triggers(database)
        for statement in rollups.trigger_sql('mysql' if db.is_mysql() else 'sqlite'):
            database.execute_sql(statement)
    with_database(url, work)


def drop_triggers(url, modules):
    with_database(url, lambda database: [module.drop_triggers(database) for module in modules])


def triggers_present(url):
    names = [*job_counts.TRIGGERS, *rollups.TRIGGERS]
    def work(database):
        if db.is_mysql():
            sql = ('SELECT COUNT(*) FROM information_schema.TRIGGERS '
                   'WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN ')
        else:
            sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
        sql += f'({", ".join([database.param] * len(names))})'
        return database.execute_sql(sql, names).fetchone()[0] == len(names)
    return with_database(url, work)


def remove_since(url, first_id):
    def work(database):
        mark = database.param
        database.execute_sql(
            f'DELETE FROM datamachine_processed_items WHERE job_id >= {mark}', (first_id,))
        database.execute_sql(f'DELETE FROM datamachine_jobs WHERE job_id >= {mark}', (first_id,))
    with_database(url, work)


def next_job_id(url):
    return with_database(url, lambda database: 1 + (database.execute_sql(
        'SELECT MAX(job_id) FROM datamachine_jobs').fetchone()[0] or 0))


def run(backend, size, args):
    url, username, password = datasets.prepare(backend, size, args.dataset, log=log)
    token = base64.b64encode(f'{username}:{password}'.encode()).decode()
    env = {'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': datasets.SECRET}
    first_id = next_job_id(url)
    if not triggers_present(url):  # a run that was killed before it could rebuild them
        log('rebuilding triggers, counts and rollups')
        rebuild(url)
    refresh_rollup_triggers(url)
    rows = []
    try:
        for variant, dropped in VARIANTS.items():  # each drops more than the one before
            drop_triggers(url, dropped)
            with gunicorn('wsgi:app', env) as (base, _):
                for runners in RUNNERS:
                    row = measure(base, token, runners, args.duration)
                    log(f'{variant}, {runners} runners: {row["cycles"]:.1f} cycles/s')
                    rows.append({'variant': variant, 'runners': runners, **row})
        with gunicorn('bench.floor:app', env) as (base, _):
            floors = {runners: measure(base, token, runners, args.duration, floor=True)['cycles']
                      for runners in RUNNERS}
    finally:
        log('removing the written jobs, rebuilding counts and rollups')
        remove_since(url, first_id)
        rebuild(url)
    load = (f'{CLIENT_PROCESSES} client processes of threaded runners, {args.duration} s per '
            'measurement')
    write_report(f'writes-{backend}-{size}', rows, floors, context_line(args, backend, load))


def write_report(name, rows, floors, context):
    lines = [f'# {name}', '', f'Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {context}.', '',
             'A cycle: POST /jobs, PATCH processing, PATCH completed, POST 3 processed items. '
             'Floor: four GETs of the framework floor app per cycle, same client.', '',
             '| triggers | runners | cycles/s | % of floor | % of all triggers | '
             + ' | '.join(f'{c} p50 / p99 ms' for c in CALLS) + ' | errors |',
             '| --- | ---: | ---: | ---: | ---: | ' + ' | '.join('---:' for _ in CALLS)
             + ' | ---: |']
    base = {row['runners']: row['cycles'] for row in rows if row['variant'] == 'all triggers'}
    for row in rows:
        floor = floors[row['runners']]
        lines.append(
            f"| {row['variant']} | {row['runners']} | {fmt(row['cycles'])} | "
            f"{fmt(100 * row['cycles'] / floor, 0)} | "
            f"{fmt(100 * row['cycles'] / base[row['runners']], 0)} | "
            + ' | '.join(f'{fmt(row[c][0], 2)} / {fmt(row[c][1], 2)}' for c in CALLS)
            + f" | {row['errors']} |")
    lines += ['', 'Floor cycles/s: ' + ', '.join(f'{runners} runners {fmt(cycles)}'
                                                 for runners, cycles in floors.items())]
    path = os.path.join(RESULTS, f'{name}.md')
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    log(f'wrote {path}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--backend', choices=('sqlite', 'mysql'), required=True)
    parser.add_argument('--size', type=int, action='append', required=True)
    parser.add_argument('--duration', type=int, default=8, help='seconds per measurement')
    parser.add_argument('--dataset', choices=('read', 'clear'), default='read', help=(
        "the database written to: clear is the clears' own copy (the written jobs are removed "
        'and the counts rebuilt afterwards)'))
    args = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    for size in args.size:
        run(args.backend, size, args)


if __name__ == '__main__':
    main()
