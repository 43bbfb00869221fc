"""Benchmark the jobs dashboard: what its first screen downloads, and how long a filter click
takes to show its rows, in Debian's Chromium against gunicorn on a seeded SQLite database.

    python bench/dashboard.py --size 1000000 --size 100000
    python bench/dashboard.py --bundle-only          # the sizes of the build, no browser

Not a test: `make test` never runs it. The build's sizes come from the committed files under
datamachine_jobs/static/dashboard/ (gzip level 9, Python's gzip module). The timings come from
Debian's Chromium (Playwright drives it; it downloads no browser) against the production
gunicorn.conf.py with two workers over loopback, on bench/datasets.py's seeded database. Each
round loads the page at one filter (so that the query cache is empty), clicks the Status
filter's 'Failed' option and times, inside the page, the click's event time to the moment the
table holds the rows and the total the API gives for the new filter ("cold": the filter's first
fetch); it then clicks the option again, back to the filter the page was loaded at, whose answer
TanStack Query still holds ("cached"). Rounds alternate between loading at every status and at
status=failed, so that half of the cold clicks add the filter and half remove it. The requests
each click caused are timed from the page's resource timings (in the same clock as the click)
and from the service's own log line (`duration_ms`, found by the X-Request-ID it answers).
Results go to bench/results/dashboard-<size>.md.
"""
import argparse
import gzip
import math
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import metadata
from urllib.parse import urlencode, urlparse

import orjson
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import datasets  # noqa: E402
from bench.run import API_PREFIX, RESULTS, fmt, gunicorn, log  # noqa: E402

BUILD = os.path.join(ROOT, 'datamachine_jobs', 'static', 'dashboard')
ASSETS = os.path.join(BUILD, 'assets')
GUNICORN_LOG = os.path.join(RESULTS, '.gunicorn.log')  # where bench.run.gunicorn writes
CHROMIUM = '/usr/bin/chromium'
# Debian's Chromium as root, headless, and with nothing reaching beyond loopback.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']
VIEWPORT = {'width': 1280, 'height': 900}
PER_PAGE = 25  # the dashboard's default page
LOAD_TIMEOUT = 180  # seconds for a page load and its whole-table summary to settle
CLICK_TIMEOUT = 120  # seconds for a click's rows to show

# Loaded into every page before its own scripts: the time of the latest click (the event's own
# time stamp, in the page's performance.now() clock) and, once armed with what the table should
# show, when the DOM first held it and when the next frame after that had run; and the main
# thread's long tasks (over 50 ms: scripts, layout), which show how much of a wait is the page's.
INSTRUMENT = """
window.__bench = {armed: false, click: null, shown: null, frame: null, longtasks: []};
try {
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) {
      window.__bench.longtasks.push([task.startTime, task.duration]);
    }
  }).observe({type: 'longtask', buffered: true});
} catch (error) {}
document.addEventListener('click', (event) => {
  if (!window.__bench.armed) return;
  window.__bench.click = event.timeStamp;
  window.__bench.armed = false;
}, true);
"""
ARM = """(want) => {
  const bench = window.__bench;
  Object.assign(bench, {armed: true, click: null, shown: null, frame: null});
  performance.clearResourceTimings();
  const jobId = (cell) => {
    const match = /Job (\\d+)/.exec(cell.textContent);
    return match ? Number(match[1]) : null;
  };
  const done = () => {
    const total = document.querySelector('[data-testid="jobs-total"]');
    if (!total || total.textContent.trim() !== want.total) return false;
    const cells = document.querySelectorAll('tbody tr td:first-child');
    return cells.length === want.ids.length
      && [...cells].every((cell, i) => jobId(cell) === want.ids[i]);
  };
  const observer = new MutationObserver(() => {
    if (bench.click === null || bench.shown !== null || !done()) return;
    bench.shown = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { bench.frame = performance.now(); }, 0));
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}"""
API_TIMINGS = """() => performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/wp-json/'))
  .map((e) => ({url: e.name, start: e.startTime, requestStart: e.requestStart,
                responseStart: e.responseStart, end: e.responseEnd}))"""
BUSY = """() => !!document.querySelector('.components-spinner')
  || /…/.test(document.querySelector('[data-testid="summary"]')?.textContent ?? '…')
  || !/jobs?$/.test(document.querySelector('[data-testid="jobs-total"]')?.textContent ?? '')"""


# The build -----------------------------------------------------------------------------------

class FirstScreen(HTMLParser):
    """What index.html makes the browser load before anything else: the entry module, its
    modulepreloads and the stylesheets, as (kind, href)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get('rel') or '').lower().split()
        if tag == 'script' and attrs.get('type') == 'module' and attrs.get('src'):
            self.found.append(('entry script', attrs['src']))
        elif tag == 'link' and 'modulepreload' in rel and attrs.get('href'):
            self.found.append(('modulepreload', attrs['href']))
        elif tag == 'link' and 'stylesheet' in rel and attrs.get('href'):
            self.found.append(('stylesheet', attrs['href']))


_gzipped = {}


def sizes(name):
    """(bytes, gzip -9 bytes) of an asset under assets/."""
    if name not in _gzipped:
        with open(os.path.join(ASSETS, name), 'rb') as fh:
            data = fh.read()
        _gzipped[name] = (len(data), len(gzip.compress(data, compresslevel=9, mtime=0)))
    return _gzipped[name]


def asset_name(href):
    path = urlparse(href).path
    if not path.startswith('/dashboard/assets/'):
        raise ValueError(f'{href} is not under /dashboard/assets/')
    return path.removeprefix('/dashboard/assets/')


def bundle():
    """The first screen's files by index.html, and every file under assets/, with sizes."""
    parser = FirstScreen()
    with open(os.path.join(BUILD, 'index.html')) as fh:
        parser.feed(fh.read())
    first = [{'kind': kind, 'name': asset_name(href), 'sizes': sizes(asset_name(href))}
             for kind, href in parser.found]
    every = sorted(os.listdir(ASSETS))
    totals = {}
    for kind, ext in (('JS', '.js'), ('CSS', '.css')):
        picked = [f['sizes'] for f in first if f['name'].endswith(ext)]
        totals[kind] = (sum(s[0] for s in picked), sum(s[1] for s in picked))
    everything = [sizes(name) for name in every]
    return {'first': first, 'totals': totals, 'files': every,
            'all': (sum(s[0] for s in everything), sum(s[1] for s in everything))}


# The page ------------------------------------------------------------------------------------

class Tracker:
    """The page's API requests in flight, and the request ids of the answers since `reset`."""

    def __init__(self, page):
        self.inflight = set()
        self.answers = []
        self.assets = []
        page.on('request', self._request)
        page.on('requestfinished', self._finished)
        page.on('requestfailed', self._finished)
        page.on('response', self._response)

    def _request(self, request):
        if '/wp-json/' in request.url:
            self.inflight.add(request)

    def _finished(self, request):
        self.inflight.discard(request)

    def _response(self, response):
        path = urlparse(response.url).path
        if '/wp-json/' in path:
            self.answers.append({'url': response.url, 'status': response.status,
                                 'method': response.request.method,
                                 'request_id': response.headers.get('x-request-id')})
        elif path.startswith('/dashboard/assets/'):
            self.assets.append({'name': path.removeprefix('/dashboard/assets/'),
                                'status': response.status,
                                'cached': response.request.timing.get('requestStart', 0) < 0})

    def reset(self):
        self.answers, self.assets = [], []


def settle(page, tracker, timeout, quiet=0.4):
    """Wait until no API request is in flight and nothing on the page is loading, for `quiet`
    seconds in a row; give up (raise) after `timeout` seconds."""
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if tracker.inflight or page.evaluate(BUSY):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return
        page.wait_for_timeout(50)
    raise TimeoutError(f'the page did not settle within {timeout} s '
                       f'({len(tracker.inflight)} API requests in flight)')


def sign_in(page, base, username, password):
    page.goto(base + '/dashboard/')
    page.get_by_label('Username').fill(username)
    page.get_by_label('Application password').fill(password)
    page.get_by_role('button', name='Sign in').click()


def shown_ids(page):
    return [int(m.group(1)) if (m := re.search(r'Job (\d+)', text)) else None
            for text in page.locator('tbody tr td:first-child').all_inner_texts()]


def expected_view(base, auth, status):
    """What the table should show for a status filter ('' for all): the total's text and the
    job ids of the first page, as the API answers the dashboard's own query."""
    query = {'orderby': 'job_id', 'order': 'DESC', 'per_page': PER_PAGE, 'offset': 0}
    if status:
        query['status'] = status
    answer = requests.get(f'{base}{API_PREFIX}/jobs', params=query, auth=auth, timeout=60)
    answer.raise_for_status()
    body = answer.json()
    noun = 'job' if body['total'] == 1 else 'jobs'
    return {'status': status, 'total': f"{body['total']:,} {noun}",
            'ids': [job['job_id'] for job in body['data']]}


def first_load(browser, base, username, password, view):
    """A new browser profile: open the page, sign in, wait for the jobs table. Returns the assets
    fetched meanwhile and the timings of the way there."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(LOAD_TIMEOUT * 1000)
    page = context.new_page()
    tracker = Tracker(page)
    started = time.perf_counter()
    page.goto(base + '/dashboard/')
    page.get_by_role('button', name='Sign in').wait_for()
    form = time.perf_counter() - started
    page.get_by_label('Username').fill(username)
    page.get_by_label('Application password').fill(password)
    clicked = time.perf_counter()
    page.get_by_role('button', name='Sign in').click()
    page.wait_for_function(
        """(want) => document.querySelector('[data-testid="jobs-total"]')?.textContent.trim()
           === want && document.querySelectorAll('tbody tr').length > 0""", arg=view['total'],
        timeout=LOAD_TIMEOUT * 1000)
    table = time.perf_counter() - clicked
    settle(page, tracker, LOAD_TIMEOUT)
    settled = time.perf_counter() - clicked
    api = page.evaluate(API_TIMINGS)
    result = {'form': form, 'table': table, 'settled': settled, 'assets': tracker.assets,
              'api': join_answers(api, tracker.answers)}
    context.close()
    return result


def join_answers(timings, answers):
    """The page's resource timings of API calls, each with the request id its answer carried."""
    found = {}
    for answer in answers:
        found.setdefault(answer['url'], []).append(answer)
    for timing in timings:
        answer = (found.get(timing['url']) or [{}]).pop(0)
        timing['request_id'] = answer.get('request_id')
        timing['method'] = answer.get('method', '')
        timing['status'] = answer.get('status')
    return timings


def timed_click(page, tracker, target, want):
    """Click `target` and return the page's own timings of what followed, after it settled."""
    tracker.reset()
    page.evaluate(ARM, want)
    target.click()
    page.wait_for_function('() => window.__bench.frame !== null', timeout=CLICK_TIMEOUT * 1000,
                           polling=20)
    settle(page, tracker, LOAD_TIMEOUT)
    bench = page.evaluate('() => window.__bench')
    shown = shown_ids(page)
    pages = page.evaluate("""() => document.querySelector(
      '.dataviews-pagination__page-select select')?.options.length ?? 0""")
    if shown != want['ids']:  # the in-page check already compared them; this is the record
        raise AssertionError(f'the table shows {shown[:3]}..., the API {want["ids"][:3]}...')
    click = bench['click']
    calls = []
    for call in join_answers(page.evaluate(API_TIMINGS), tracker.answers):
        if call['start'] >= click:
            calls.append({**call, 'kind': 'summary' if '/jobs/summary' in call['url'] else
                          'jobs' if re.search(r'/jobs\?', call['url']) else 'other'})
    # The main thread's long tasks between the click and the rows, clipped to that span.
    busy = [min(start + duration, bench['shown']) - max(start, click)
            for start, duration in bench['longtasks']
            if start < bench['shown'] and start + duration > click]
    return {'shown': bench['shown'] - click, 'frame': bench['frame'] - click, 'calls': calls,
            'click': click, 'busy': sum(busy), 'longest': max(busy, default=0), 'pages': pages}


def filter_option(page):
    """The Status filter's 'Failed' option, its list open."""
    option = page.get_by_role('listbox', name='List of: Status').get_by_role(
        'option', name='Failed', exact=True)
    if not option.is_visible():
        page.locator('.dataviews-filters__summary-chip', has_text='Status').click()
    option.wait_for(state='visible')
    return option


def rounds(browser, base, username, password, views, args, deadline):
    """Each round: load at one filter, click to the other (cold), click back (cached)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(CLICK_TIMEOUT * 1000)
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    tracker = Tracker(page)
    sign_in(page, base, username, password)
    page.get_by_test_id('jobs-total').get_by_text(views['']['total']).wait_for()
    settle(page, tracker, LOAD_TIMEOUT)
    results = []
    for number in range(args.rounds):
        if time.monotonic() > deadline:
            log(f'stopping after {number} rounds: --max-minutes reached')
            break
        start, other = ('', 'failed') if number % 2 == 0 else ('failed', '')
        query = f'?{urlencode({"status": start})}' if start else ''
        loaded = time.perf_counter()
        page.goto(f'{base}/dashboard/{query}')
        page.get_by_test_id('jobs-total').get_by_text(views[start]['total'], exact=True).wait_for(
            timeout=LOAD_TIMEOUT * 1000)
        settle(page, tracker, LOAD_TIMEOUT)
        loaded = time.perf_counter() - loaded
        cold = timed_click(page, tracker, filter_option(page), views[other])
        cached = timed_click(page, tracker, filter_option(page), views[start])
        results.append({'round': number + 1, 'from': start or 'all', 'to': other or 'all',
                        'load': loaded, 'cold': cold, 'cached': cached})
        calls = ', '.join(f"{c['kind']} answered {c['end'] - cold['click']:.0f} ms"
                          for c in cold['calls'])
        log(f'round {number + 1}: {start or "all"} -> {other or "all"}: rows after '
            f'{cold["shown"]:.0f} ms ({calls}); back (cached) {cached["shown"]:.0f} ms')
    context.close()
    return results


# The service's log ---------------------------------------------------------------------------

def server_times(offset):
    """duration_ms of every request the service logged after `offset` bytes, by request id."""
    times = {}
    with open(GUNICORN_LOG, 'rb') as fh:
        fh.seek(offset)
        for line in fh:
            if not line.startswith(b'{'):
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if entry.get('message') == 'request' and entry.get('request_id'):
                times[entry['request_id']] = entry.get('duration_ms')
    return times


# The report ----------------------------------------------------------------------------------

def percentile(values, percent):
    """Nearest rank: the smallest value with at least `percent`% of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)] if ordered else None


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return (None, None, None)
    return statistics.median(values), percentile(values, 95), max(values)


def call_figures(click, kind, server):
    """Figures of the click's request of `kind` (jobs or summary): when it started after the
    click, the service's time, the time to its first byte and its end after the click."""
    for call in click['calls']:
        if call['kind'] == kind:
            return {'start': call['start'] - click['click'],
                    'server': server.get(call['request_id']),
                    'ttfb': call['responseStart'] - call['requestStart']
                    if call['requestStart'] else None,
                    'end': call['end'] - click['click']}
    return None


def click_table(samples, server, title, cached=False):
    jobs = [call_figures(s, 'jobs', server) for s in samples]
    summaries = [call_figures(s, 'summary', server) for s in samples]
    rows = [
        ('click to the new rows and total in the DOM', [s['shown'] for s in samples]),
        ('click to the next frame after that', [s['frame'] for s in samples]),
        ('main thread in long tasks (over 50 ms) from the click to the rows',
         [s['busy'] for s in samples]),
        ('the longest of those tasks', [s['longest'] for s in samples]),
        ('`/jobs` request sent, after the click', [j and j['start'] for j in jobs]),
        ('`/jobs` in the service (its `duration_ms`)', [j and j['server'] for j in jobs]),
        ('`/jobs` request sent to first byte (browser)', [j and j['ttfb'] for j in jobs]),
        ('`/jobs` answer complete, after the click', [j and j['end'] for j in jobs]),
        *([] if cached else [('rows in the DOM after the `/jobs` answer',
                              [s['shown'] - j['end'] if j else None
                               for s, j in zip(samples, jobs, strict=True)])]),
        ('`/jobs/summary` in the service', [m and m['server'] for m in summaries]),
        ('`/jobs/summary` answer complete, after the click', [m and m['end'] for m in summaries]),
    ]
    counted = [sum(1 for c in s['calls'] if c['kind'] == 'jobs') for s in samples]
    lines = ['', f'## {title}', '',
             f'{len(samples)} clicks; every figure in ms. p95 is the nearest rank (for fewer than '
             '20 samples, the largest).', '',
             '| | median | p95 | max | clicks with it |', '| --- | ---: | ---: | ---: | ---: |']
    for name, values in rows:
        median, p95, top = spread(values)
        present = sum(1 for v in values if v is not None)
        lines.append(f'| {name} | {fmt(median, 0)} | {fmt(p95, 0)} | {fmt(top, 0)} | '
                     f'{present} of {len(values)} |')
    lines += ['', f'`/jobs` requests per click: {", ".join(map(str, counted))}.']
    return lines


def write_report(size, build, load, results, server, context):
    name = f'dashboard-{size}'
    lines = [f'# {name}', '', f'Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {context}.', '',
             '## The first screen', '',
             'The files `index.html` makes the browser load first (entry module, '
             'modulepreloads, stylesheets), from the committed build; gzip level 9 as '
             'Python\'s `gzip` module writes it.', '',
             '| file | loaded by | bytes | gzip -9 bytes |', '| --- | --- | ---: | ---: |']
    for entry in build['first']:
        raw, packed = entry['sizes']
        lines.append(f"| `{entry['name']}` | {entry['kind']} | {raw:,} | {packed:,} |")
    for kind, (raw, packed) in build['totals'].items():
        lines.append(f'| **{kind} total** | | **{raw:,}** | **{packed:,}** |')
    raw, packed = build['all']
    lines.append(f"| everything under `assets/` ({len(build['files'])} files) | | {raw:,} | "
                 f'{packed:,} |')

    fetched, seen = [], set()
    for asset in load['assets']:
        if asset['name'] not in seen:
            seen.add(asset['name'])
            fetched.append(asset)
    first_names = {entry['name'] for entry in build['first']}
    lines += ['', 'What Chromium fetched under `/dashboard/assets/` from opening the page with an '
              'empty cache, through signing in, until the jobs table showed:', '',
              '| file | in index.html | status | bytes | gzip -9 bytes |',
              '| --- | --- | ---: | ---: | ---: |']
    for asset in fetched:
        raw, packed = sizes(asset['name'])
        lines.append(f"| `{asset['name']}` | {'yes' if asset['name'] in first_names else 'no'} "
                     f"| {asset['status']} | {raw:,} | {packed:,} |")
    for kind, ext in (('JS', '.js'), ('CSS', '.css'), ('all', '')):
        picked = [sizes(a['name']) for a in fetched if a['name'].endswith(ext)]
        lines.append(f'| **{kind} fetched** | | | **{sum(s[0] for s in picked):,}** | '
                     f'**{sum(s[1] for s in picked):,}** |')
    lines += ['', f"Opening the page to the sign-in form: {load['form'] * 1000:,.0f} ms; "
              f"'Sign in' to the jobs table: {load['table'] * 1000:,.0f} ms; to everything "
              f"loaded (the summary too): {load['settled'] * 1000:,.0f} ms. The API calls of that "
              'load:', '', '| call | status | in the service, ms | sent to first byte, ms | '
              'complete after page start, ms |', '| --- | ---: | ---: | ---: | ---: |']
    for call in load['api']:
        ttfb = call['responseStart'] - call['requestStart'] if call['requestStart'] else None
        target = urlparse(call['url'])
        lines.append(f"| `{call['method']} {target.path.removeprefix(API_PREFIX)}"
                     f"{'?' + target.query if target.query else ''}` | {call['status']} | "
                     f"{fmt(server.get(call['request_id']), 1)} | {fmt(ttfb, 0)} | "
                     f"{fmt(call['end'], 0)} |")

    if results:
        cold = [r['cold'] for r in results]
        cached = [r['cached'] for r in results]
        lines += ['', '## Filter clicks', '',
                  'Each round opens `/dashboard/` at one filter (every status, or status=failed; '
                  'a fresh load, so the page holds no answers yet) and waits until nothing loads, '
                  "opens the table's Status filter, clicks its 'Failed' option (the cold click: "
                  'the new filter is fetched) and, once everything has loaded again, clicks it '
                  'once more, back to the filter the page opened at (the cached click: the answer '
                  'is shown from the query cache and refetched in the background). A click is '
                  "timed in the page, from the click event's time to the moment the table holds "
                  "the 25 job ids and the total the API answers for the new filter. Request "
                  "figures are the page's resource timings in the same clock; the service's are "
                  'its own `duration_ms` log field for the same request.']
        lines += click_table(cold, server, 'Filter click to the new rows: the first fetch '
                                           '(cold)')
        for label, to in (("Adding 'Failed'", 'failed'), ("Removing 'Failed'", 'all')):
            picked = [r['cold'] for r in results if r['to'] == to]
            median, p95, top = spread([c['shown'] for c in picked])
            lines.append(f"{label}: median {fmt(median, 0)} ms, max {fmt(top, 0)} "
                         f"ms over {len(picked)} clicks; the table's 'Current page' list then "
                         f"holds {max(c['pages'] for c in picked):,} options." if picked else '')
        lines += click_table(cached, server, 'Back to the filter the page was loaded at '
                                             '(answer cached, refetched in the background)',
                             cached=True)
        lines += ['', '## Rounds', '',
                  '| round | load at | click to | load to settled, ms | cold: rows, ms | '
                  '`/jobs` service ms | `/jobs` end, ms | `/jobs/summary` service ms | '
                  'cached back: rows, ms |', '| ---: | --- | --- | ---: | ---: | ---: | ---: | '
                  '---: | ---: |']
        for r in results:
            jobs = call_figures(r['cold'], 'jobs', server) or {}
            summary = call_figures(r['cold'], 'summary', server) or {}
            lines.append(f"| {r['round']} | {r['from']} | {r['to']} | {r['load'] * 1000:,.0f} "
                         f"| {r['cold']['shown']:,.0f} | {fmt(jobs.get('server'), 1)} | "
                         f"{fmt(jobs.get('end'), 0)} | {fmt(summary.get('server'), 1)} | "
                         f"{r['cached']['shown']:,.0f} |")
    path = os.path.join(RESULTS, f'{name}.md')
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    log(f'wrote {path}')


def context_line(browser_version):
    return ', '.join([
        f'{os.cpu_count()} CPUs', f'Python {platform.python_version()}',
        f'SQLite {sqlite3.sqlite_version}', 'gunicorn.conf.py with -w 2 (gthread, 4 threads)',
        f'Chromium {browser_version} (headless) driven by Playwright '
        f'{metadata.version("playwright")}', f'viewport {VIEWPORT["width"]}x{VIEWPORT["height"]}'])


def run(size, build, args):
    from playwright.sync_api import sync_playwright

    deadline = time.monotonic() + args.max_minutes * 60
    url, username, password = datasets.prepare('sqlite', size, log=log)
    auth = (username, password)
    env = {'DATAMACHINE_DATABASE_URL': url, 'DATAMACHINE_SECRET_KEY': datasets.SECRET}
    offset = os.path.getsize(GUNICORN_LOG) if os.path.exists(GUNICORN_LOG) else 0
    with gunicorn('wsgi:app', env, options=('-w', '2')) as (base, _), \
            sync_playwright() as playwright:
        views = {status: expected_view(base, auth, status) for status in ('', 'failed')}
        log(f"{size:,} jobs: all = {views['']['total']}, failed = {views['failed']['total']}")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            log('first load with an empty cache')
            load = first_load(browser, base, username, password, views[''])
            log(f"first load: sign-in form {load['form']:.2f} s, table {load['table']:.2f} s "
                f"after Sign in, settled {load['settled']:.2f} s")
            results = rounds(browser, base, username, password, views, args, deadline)
            version = browser.version
        finally:
            browser.close()
    write_report(size, build, load, results, server_times(offset), context_line(version))


def print_bundle(build):
    for entry in build['first']:
        log(f"{entry['kind']:>13} {entry['name']}: {entry['sizes'][0]:,} bytes, "
            f"{entry['sizes'][1]:,} gzipped")
    for kind, (raw, packed) in build['totals'].items():
        log(f'{kind} of the first screen: {raw:,} bytes, {packed:,} gzipped')
    log(f"all of assets/: {build['all'][0]:,} bytes, {build['all'][1]:,} gzipped")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, action='append',
                        help='jobs in the SQLite database; repeat for several sizes')
    parser.add_argument('--rounds', type=int, default=20,
                        help='rounds per size (a cold and a cached click each)')
    parser.add_argument('--max-minutes', type=float, default=30,
                        help='stop starting rounds after this long, per size')
    parser.add_argument('--bundle-only', action='store_true',
                        help='print the build\'s sizes and stop: no server, no browser')
    args = parser.parse_args()
    build = bundle()
    print_bundle(build)
    if args.bundle_only:
        return
    if not args.size:
        parser.error('give --size (or --bundle-only)')
    if not os.access(CHROMIUM, os.X_OK):
        parser.error(f'{CHROMIUM} is missing: apt-get install chromium (make test-tools)')
    os.makedirs(RESULTS, exist_ok=True)
    for size in args.size:
        run(size, build, args)


if __name__ == '__main__':
    main()
