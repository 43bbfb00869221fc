"""Which gunicorn worker class, worker count and thread count to ship in gunicorn.conf.py.

    python bench/workers.py --backend sqlite --size 100000
    python bench/workers.py --backend mysql --size 1000000

Serves the seeded database (bench/datasets.py) under gunicorn.conf.py with each candidate's
flags over it and drives two list scenarios with wrk at 16 connections. The candidates take
turns for several rounds and each cell is the median, since one run on a shared 2-core machine
varies by tens of percent. Writes bench/results/workers-<backend>-<size>.md.
"""
import argparse
import base64
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import datasets  # noqa: E402
from bench.run import API_PREFIX, RESULTS, context_line, fmt, gunicorn, log, wrk  # noqa: E402

CANDIDATES = [
    ('sync', 2, 1), ('sync', 4, 1),
    ('gthread', 2, 1), ('gthread', 2, 2), ('gthread', 2, 4), ('gthread', 2, 8),
    ('gthread', 4, 2),
]
SCENARIOS = [('default list', '/jobs'), ('status=failed', '/jobs?status=failed')]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--backend', choices=('sqlite', 'mysql'), required=True)
    parser.add_argument('--size', type=int, default=100_000)
    parser.add_argument('--duration', type=int, default=5, help='seconds per scenario')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--connections', type=int, default=16)
    args = parser.parse_args()

    url, username, password = datasets.prepare(args.backend, args.size, log=log)
    headers = [f'Authorization: Basic '
               f'{base64.b64encode(f"{username}:{password}".encode()).decode()}']
    env = {'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': datasets.SECRET}
    lines = [f'# gunicorn workers, {args.backend} at {args.size:,} jobs', '',
             f'On {context_line(args, args.backend)}; medians of {args.rounds} rounds. The '
             'shipped default is gthread, one worker per core (2 here), 4 threads.', '',
             '| worker class | workers | threads | ' + ' | '.join(
                 f'{name} req/s | {name} p99 ms' for name, _ in SCENARIOS) + ' |',
             '| --- | ---: | ---: |' + ' ---: | ---: |' * len(SCENARIOS)]
    runs = {candidate: {name: [] for name, _ in SCENARIOS} for candidate in CANDIDATES}
    for round_number in range(1, args.rounds + 1):
        for candidate in CANDIDATES:
            worker_class, workers, threads = candidate
            options = ['-k', worker_class, '-w', str(workers), '--threads', str(threads)]
            with gunicorn('wsgi:app', env, options) as (base, _):
                for name, path in SCENARIOS:
                    result = wrk(base + API_PREFIX + path, args.duration, args.connections,
                                 headers)
                    log(f'round {round_number}: {" ".join(options)} {name}: '
                        f'{result["rps"]:.0f} req/s, p99 {result["p99"]} ms, '
                        f'{result["errors"]} errors')
                    runs[candidate][name].append(result)
    for (worker_class, workers, threads), results in runs.items():
        cells = []
        for name, _ in SCENARIOS:
            cells += [fmt(statistics.median(r['rps'] for r in results[name]), 0),
                      fmt(statistics.median(r['p99'] for r in results[name]), 1)]
        lines.append(f'| {worker_class} | {workers} | {threads} | ' + ' | '.join(cells) + ' |')
    path = os.path.join(RESULTS, f'workers-{args.backend}-{args.size}.md')
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    log(f'wrote {path}')


if __name__ == '__main__':
    main()
