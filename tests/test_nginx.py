"""The production path end to end, on loopback: real nginx running deploy/nginx.conf (TLS, with
a certificate made for the test) in front of real gunicorn running gunicorn.conf.py. The spec's
curl examples run word for word through it; the client address reaches last_ip and the request
log; metrics add up over the workers; a killed worker is replaced and a reload (SIGHUP) swaps
every worker, both under load. nginx answers its own errors in the JSON envelope, lets the longest
query through, and keeps slow clients away from gunicorn's threads."""
import contextlib
import http.client
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests
from support import (
    API,
    ROOT,
    SECRET,
    Listener,
    basic,
    count_rows,
    create_account,
    fail_every_job,
    gunicorn_argv,
    insert_items,
    insert_job,
    spawn,
    wait_for,
    wait_until_up,
)

from datamachine_jobs import db
from datamachine_jobs.models import AppPassword, AuditRecord, IdempotencyKey, Job, ProcessedItem
from datamachine_jobs.services import seed

pytestmark = pytest.mark.slow

NGINX = shutil.which('nginx') or '/usr/sbin/nginx'
EXAMPLES = os.path.join(ROOT, 'tests', 'data', 'spec_curl_examples.txt')
# nginx reaches gunicorn from this address, so that the client's (127.0.0.1) can only arrive
# through X-Forwarded-For.
PROXY_ADDRESS = '127.0.0.3'
WORKERS = 3
THREADS = 4  # gunicorn.conf.py's threads per worker
LOAD_ANSWERS = 150  # answers under load before an action, and again after it
MAIN_CONFIG = """
{user}
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    proxy_bind {proxy_address};
{site}
}}
"""


def site_config(gunicorn_ports, https_port, http_port, certificate, key):
    """deploy/nginx.conf with this test's ports and certificate; every substitution must hit."""
    with open(os.path.join(ROOT, 'deploy', 'nginx.conf')) as fh:
        text = fh.read()
    servers = '\n    '.join(f'server 127.0.0.1:{port};' for port in gunicorn_ports)
    for old, new in (('server 127.0.0.1:8000;', servers),
                     ('listen 443 ssl;', f'listen 127.0.0.1:{https_port} ssl;'),
                     ('listen 80;', f'listen 127.0.0.1:{http_port};'),
                     ('/etc/ssl/certs/example.com.pem', certificate),
                     ('/etc/ssl/private/example.com.key', key)):
        assert text.count(old) == 1, f'deploy/nginx.conf no longer holds {old!r} once'
        text = text.replace(old, new)
    return text


class Stack:
    """gunicorn and nginx as started by the `stack` fixture."""

    def __init__(self, tmp_path):
        self.run, self.processes, self.listeners = tmp_path, [], []
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the environment: loopback only

    def start(self, database_url, workers, nodes=1, settings=None):
        """Start `nodes` gunicorn masters (as separate hosts would run them) with `workers` each
        and the DATAMACHINE_* `settings`, then nginx in front of them all."""
        tmp_path = self.run
        self.certificate, self.key = str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
                        '-keyout', self.key, '-out', self.certificate],
                       check=True, capture_output=True, timeout=60)
        self.nodes, self.gunicorn_logs = [], []
        for node in range(nodes):
            listener, log_path = self._listen(), tmp_path / f'gunicorn-{node}.log'
            port = listener.port
            os.makedirs(tmp_path / f'metrics-{node}')
            env = {**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
                   'DATAMACHINE_SECRET_KEY': SECRET, 'DATAMACHINE_PROXY_HOPS': '1',
                   'PROMETHEUS_MULTIPROC_DIR': str(tmp_path / f'metrics-{node}'),
                   **(settings or {})}
            with open(log_path, 'w') as log:
                master = self._spawn(
                    gunicorn_argv(listener, '-c', 'gunicorn.conf.py', '-w', str(workers)),
                    [listener], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            wait_until_up(f'http://127.0.0.1:{port}/healthz', master, session=self.http)
            self.nodes.append((master, port))
            self.gunicorn_logs.append(log_path)
        (self.gunicorn, self.gunicorn_port) = self.nodes[0]
        self.gunicorn_log = self.gunicorn_logs[0]
        https, http = self._listen(), self._listen()
        self.https_port = https.port
        self.base = f'https://localhost:{self.https_port}'
        config = tmp_path / 'nginx.conf'
        config.write_text(MAIN_CONFIG.format(
            user='user root;' if os.geteuid() == 0 else '', run=tmp_path,
            proxy_address=PROXY_ADDRESS,
            site=site_config([port for _, port in self.nodes], https.port, http.port,
                             self.certificate, self.key)))
        # nginx's default root under its prefix, as a distribution ships it: the site must not
        # serve it.
        os.makedirs(tmp_path / 'html')
        (tmp_path / 'html' / 'index.html').write_text('<h1>Welcome to nginx!</h1>\n')
        command = [NGINX, '-p', str(tmp_path), '-c', str(config), '-g', 'daemon off;']
        checked = subprocess.run([*command, '-t'], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        # nginx takes over inherited listening sockets named in $NGINX (as in a binary upgrade).
        self.nginx = self._spawn(command, [https, http], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL,
                                 env={**os.environ, 'NGINX': f'{https.fd};{http.fd};'})
        self.http.verify = self.certificate
        self.tls = ssl.create_default_context(cafile=self.certificate)
        wait_until_up(self.base + '/healthz', self.nginx, session=self.http)

    def _listen(self):
        """A Listener, closed by `stop` should the stack fail before a server inherits it."""
        listener = Listener()
        self.listeners.append(listener)
        return listener

    def _spawn(self, argv, listeners, **options):
        process = spawn(argv, listeners, **options)
        self.processes.append(process)
        return process

    def stop(self):
        for listener in self.listeners:
            listener.close()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=40)

    def curl_env(self):
        """The environment curl runs in: it trusts the test certificate and no proxy."""
        return {**{k: v for k, v in os.environ.items() if 'proxy' not in k.lower()},
                'CURL_CA_BUNDLE': self.certificate}

    def request_log(self):
        """gunicorn's output lines that are the service's request log, parsed, of every node."""
        lines = []
        for log in self.gunicorn_logs:
            for line in log.read_text().splitlines():
                if line.startswith('{') and '"message":"request"' in line:
                    lines.append(json.loads(line))
        return lines

    def workers(self, master=None):
        """Process ids of a gunicorn master's workers (the first node's by default)."""
        master = master or self.gunicorn
        children = []
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                try:
                    with open(f'/proc/{entry}/stat') as fh:
                        fields = fh.read().rsplit(')', 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master.pid and fields[0] != 'Z':
                    children.append(int(entry))
        return sorted(children)


def started_stack(database_url, tmp_path, workers, **options):
    started = Stack(tmp_path)
    try:
        started.start(database_url, workers, **options)
        yield started
    finally:
        started.stop()


@pytest.fixture
def stack(app, database_url, tmp_path):
    yield from started_stack(database_url, tmp_path, WORKERS)


@pytest.fixture
def one_worker_stack(app, database_url, tmp_path):
    """The stack with a single gunicorn worker: THREADS requests at once take all of it."""
    yield from started_stack(database_url, tmp_path, 1)


def spec_examples():
    """(comment, command line) of every example, the command's lines joined as one."""
    with open(EXAMPLES) as fh:
        blocks = fh.read().split('\n\n')
    return [(block.splitlines()[0].lstrip('# '), ' '.join(block.splitlines()[1:]))
            for block in blocks if '\ncurl ' in block]


SEEDS = itertools.count(1)


def seed_jobs(app, count=120):
    with app.app_context(), db.database.connection_context():
        seed.seed(count, rng_seed=next(SEEDS))
    failed = insert_job('failed - timeout', flow_id=42, pipeline_id=5)
    insert_items(failed, 2, flow_id=42, pipeline_id=5)


def expected_clear(body):
    """What a clear with this body must delete, counted straight from the tables."""
    with db.database.connection_context():
        jobs = Job.select(Job.job_id)
        if body['type'] == 'failed':
            jobs = jobs.where(Job.base_status == 'failed')
        ids = [job_id for (job_id,) in jobs.tuples()]
        items = (ProcessedItem.select().where(ProcessedItem.job_id.in_(ids)).count()
                 if body.get('cleanup_processed') and ids else 0)
    return len(ids), items


def test_every_curl_example_of_the_spec_runs_through_nginx(app, client, stack):
    password = create_account(app, 'admin', 'administrator')
    examples = spec_examples()
    assert len(examples) == 13
    seed_jobs(app)
    for comment, command in examples:
        argv = shlex.split(command.replace('https://example.com', stack.base)
                           .replace('username:application_password', f'admin:{password}'))
        if '-X' in argv and count_rows(Job) < 50:
            seed_jobs(app)  # give every clear something to delete
        body = json.loads(argv[argv.index('-d') + 1]) if '-d' in argv else None
        expected = expected_clear(body) if body else None
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              env=stack.curl_env())
        assert done.returncode == 0, (comment, done.stderr)
        answer = json.loads(done.stdout)
        if body is None:  # the same answer as the app gives in-process
            path = argv[1].removeprefix(stack.base)
            assert answer == client.get(path, headers=basic('admin', password)).get_json(), comment
            assert answer['success'] is True and answer['data'] is not None, comment
        else:
            assert answer == {'success': True, 'message': 'Jobs cleared successfully.',
                              'jobs_deleted': expected[0],
                              'processed_items_cleaned': expected[1]}, comment
            if body['type'] == 'failed':
                assert count_rows(Job, Job.base_status == 'failed') == 0, comment
            else:
                assert count_rows(Job) == 0, comment

    with db.database.connection_context():
        assert AppPassword.get(AppPassword.name == 'tests').last_ip == '127.0.0.1'
    logged = [line for line in stack.request_log() if line['path'].startswith(API)]
    assert len(logged) == len(examples)
    assert {line['remote_addr'] for line in logged} == {'127.0.0.1'}
    assert {line['user'] for line in logged} == {'admin'}
    assert all(len(line['request_id']) == 32 for line in logged)  # made by nginx


def test_nginx_passes_request_ids_compresses_and_answers_errors_in_json(app, stack):
    seed_jobs(app)
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    answer = stack.http.get(f'{stack.base}{API}/jobs?per_page=100',
                            headers={**auth, 'X-Request-ID': 'trace-7', 'Accept-Encoding': 'gzip'})
    assert answer.status_code == 200 and answer.headers['Content-Encoding'] == 'gzip'
    assert answer.headers['X-Request-ID'] == 'trace-7' and len(answer.json()['data']) == 100
    assert stack.request_log()[-1]['request_id'] == 'trace-7'

    too_large = stack.http.post(f'{stack.base}{API}/jobs', headers=auth,
                                data=b'{"x": "' + b'a' * (2 * 1024 * 1024) + b'"}')
    assert too_large.status_code == 413
    assert too_large.json() == {'code': 'rest_request_too_large',
                                'message': 'The request body is too large.',
                                'data': {'status': 413}}
    assert stack.http.get(f'{stack.base}/readyz').json() == {'status': 'ready'}


def send_raw(stack, data, source='127.0.0.1', tls=True):
    """Send `data` to nginx's TLS port as it is, from `source`; return the answer's status,
    Content-Type and body (parsed if it is JSON)."""
    sock = socket.create_connection(('127.0.0.1', stack.https_port), timeout=10,
                                    source_address=(source, 0))
    if tls:
        sock = stack.tls.wrap_socket(sock, server_hostname='localhost')
    with sock:
        with contextlib.suppress(OSError):  # nginx may answer and close before it has read all
            sock.sendall(data)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        content_type, body = answer.getheader('Content-Type'), answer.read()
        return answer.status, content_type, json.loads(body) if content_type == JSON else body


def raw_request(target, *headers, method='GET', version='HTTP/1.1'):
    """A request's bytes: Host, `Connection: close`, `headers`, no body."""
    lines = [f'{method} {target} {version}', 'Host: localhost', 'Connection: close', *headers]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def envelope(status, code, message):
    return {'code': code, 'message': message, 'data': {'status': status}}


JSON = 'application/json; charset=UTF-8'  # the service's Content-Type
NO_ROUTE = 'No route was found matching the URL and request method.'
BAD_REQUEST = envelope(400, 'bad_request', 'The request could not be understood.')


def test_the_dashboard_through_nginx_signs_in_with_a_secure_cookie(app, stack):
    """Over https through the trusted proxy the session cookie is Secure; the page is never
    cached and its hashed assets are, for a year."""
    home = stack.http.get(stack.base + '/', allow_redirects=False, timeout=10)
    assert (home.status_code, home.headers['Location']) == (302, '/dashboard/')
    page = stack.http.get(stack.base + '/dashboard/', timeout=10)
    assert page.status_code == 200 and page.headers['Cache-Control'] == 'no-cache'
    script = re.search(r'src="/dashboard/(assets/[^"]+\.js)"', page.text).group(1)
    asset = stack.http.get(f'{stack.base}/dashboard/{script}', timeout=10)
    assert asset.status_code == 200
    assert asset.headers['Cache-Control'] == 'public, max-age=31536000, immutable'
    password = create_account(app, 'ops', 'administrator')
    signed_in = stack.http.post(f'{stack.base}{API}/session', timeout=10,
                                json={'username': 'ops', 'password': password})
    assert signed_in.status_code == 200
    cookie = signed_in.headers['Set-Cookie']
    assert {'Secure', 'HttpOnly', 'SameSite=Strict'} <= {p.strip() for p in cookie.split(';')}
    nonce = {'X-WP-Nonce': signed_in.json()['data']['nonce']}
    assert stack.http.get(f'{stack.base}{API}/jobs', headers=nonce, timeout=10).status_code == 200


def test_every_answer_nginx_makes_itself_is_the_json_envelope(stack):
    cases = [
        ('a malformed request line', raw_request('/a b'), BAD_REQUEST),
        ('a bad Host header', raw_request('/healthz').replace(b'localhost', b'a/b'), BAD_REQUEST),
        ('two Host headers', raw_request('/healthz', 'Host: other'), BAD_REQUEST),
        ('bad percent-encoding', raw_request(f'{API}/jobs/%zz'), BAD_REQUEST),
        ('a broken chunked body to a path outside', raw_request(
            '/index.html', 'Transfer-Encoding: chunked', method='POST') + b'zz\r\n\r\n',
         BAD_REQUEST),
        ('a file', raw_request('/index.html'), envelope(404, 'rest_no_route', NO_ROUTE)),
        ('another namespace', raw_request('/wp-json/wp/v2/users'),
         envelope(404, 'rest_no_route', NO_ROUTE)),
        ('the error page itself', raw_request('/_error'), envelope(404, 'rest_no_route', NO_ROUTE)),
        ('TRACE', raw_request(f'{API}/jobs', method='TRACE'),
         envelope(405, 'rest_no_route', NO_ROUTE)),
        ('a body over 1 MiB', raw_request(f'{API}/jobs', 'Content-Length: 2000000', method='POST'),
         envelope(413, 'rest_request_too_large', 'The request body is too large.')),
        ('a URI over 32k', raw_request(f'{API}/jobs?cursor=' + 'a' * 33000),
         envelope(414, 'uri_too_long', 'The request URI is too long.')),
        ('a header over 32k', raw_request('/healthz', 'Cookie: ' + 'a' * 33000),
         envelope(431, 'request_header_too_large', 'The request headers are too large.')),
        ('headers over 4 x 32k together', raw_request('/healthz', *[f'X-Pad-{n}: ' + 'a' * 30000
                                                                 for n in range(5)]),
         envelope(431, 'request_header_too_large', 'The request headers are too large.')),
        ('an unknown Transfer-Encoding', raw_request(f'{API}/jobs', 'Transfer-Encoding: gzip',
                                                 method='POST'),
         envelope(501, 'not_implemented', 'The request body has an unsupported transfer coding.')),
        ('HTTP/2.0 in the request line', raw_request('/healthz', version='HTTP/2.0'),
         envelope(505, 'http_version_not_supported', 'The HTTP version is not supported.')),
    ]
    for what, data, expected in cases:
        assert send_raw(stack, data) == (expected['data']['status'], JSON, expected), what
    assert send_raw(stack, raw_request('/healthz'), tls=False) == (400, JSON, BAD_REQUEST)
    assert send_raw(stack, raw_request('/metrics'), source='127.0.0.2') == (
        403, JSON, envelope(403, 'forbidden', 'This address may not reach this resource.'))

    stack.gunicorn.send_signal(signal.SIGINT)  # a quick shutdown
    stack.gunicorn.wait(timeout=40)
    gone = stack.http.get(f'{stack.base}/healthz')
    assert (gone.status_code, gone.headers['Content-Type'], gone.json()) == (
        502, JSON, envelope(502, 'bad_gateway', 'The service is not answering. Try again shortly.'))


def test_the_longest_query_and_headers_nginx_lets_through_reach_the_service(app, stack):
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    # The longest filter GET /jobs takes: 20 statuses of 100 characters, nearly all of them
    # 4 bytes in UTF-8 and so 12 URL-encoded.
    statuses = [f'failed - {chr(0x1F550 + n) * 91}' for n in range(20)]
    job_id = insert_job(statuses[7])
    insert_job('failed - timeout')
    query = f'{API}/jobs?' + urlencode({'status': ','.join(statuses)})
    assert len(query) > 20000

    found = stack.http.get(stack.base + query, headers=auth)
    assert found.status_code == 200, (found.headers, found.text)
    assert [job['job_id'] for job in found.json()['data']] == [job_id]

    with_cursor = stack.http.get(f'{stack.base}{query}&cursor={"A" * 1000}', headers=auth)
    assert with_cursor.status_code == 400 and with_cursor.json() == {
        'code': 'rest_invalid_param', 'message': 'Invalid parameter(s): cursor',
        'data': {'status': 400, 'params': {'cursor': 'cursor must be a next_cursor value from '
                                                     'an earlier answer, unchanged.'}}}

    # gunicorn's own limits (8190 bytes a header, 100 headers) would answer these in HTML.
    for headers in ({'Cookie': 'a' * 30000}, {f'X-Pad-{n}': 'a' for n in range(150)}):
        passed = stack.http.get(f'{stack.base}/healthz', headers=headers)
        assert (passed.status_code, passed.json()) == (200, {'status': 'ok'})


@contextlib.contextmanager
def trickling(stack, head, clients, seconds):
    """While the block runs, `clients` connections send `head`, then a byte each every 0.1 s."""
    connections, stop = [], threading.Event()

    def drip():
        deadline = time.monotonic() + seconds
        while not stop.wait(0.1) and time.monotonic() < deadline:
            for connection in connections:
                connection.sendall(b' ')

    dripping = threading.Thread(target=drip)
    try:
        for _ in range(clients):
            connections.append(stack.tls.wrap_socket(socket.create_connection(
                ('127.0.0.1', stack.https_port), timeout=5), server_hostname='localhost'))
            connections[-1].sendall(head)
        dripping.start()
        yield
    finally:
        stop.set()
        if dripping.is_alive():
            dripping.join(timeout=10)
        for connection in connections:
            connection.close()


def test_slow_clients_wait_in_nginx_not_in_the_service(app, one_worker_stack):
    """Ten trickling bodies would hold every thread of the one worker if nginx passed them on."""
    stack = one_worker_stack
    seed_jobs(app, 20)
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    head = (f'POST {API}/jobs HTTP/1.1\r\nHost: localhost\r\n'
            f'Authorization: {auth["Authorization"]}\r\nContent-Type: application/json\r\n'
            'Content-Length: 1000\r\n\r\n').encode()
    took = []
    with trickling(stack, head, clients=10, seconds=4):
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and len(took) < 200:
            started = time.monotonic()
            listed = stack.http.get(f'{stack.base}{API}/jobs?per_page=10', headers=auth, timeout=5)
            took.append(time.monotonic() - started)
            assert listed.status_code == 200
    print(f'{len(took)} GET /jobs while 10 bodies trickled in: median '
          f'{statistics.median(took) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms')
    assert len(took) >= 10 and max(took) < 1


def test_metrics_add_up_over_the_workers(app, stack):
    seed_jobs(app)
    auth = basic('admin', create_account(app, 'admin', 'administrator'))

    def call(n):
        with requests.Session() as session:  # a connection of its own, like separate clients
            session.trust_env, session.verify = False, stack.certificate
            return session.get(f'{stack.base}{API}/jobs?per_page=5',
                               headers=auth if n % 10 else {}).status_code

    rounds = 0
    while rounds < 10:  # until two workers have served some (one may take all of a round)
        # More clients at once than nginx keeps idle connections to one worker: new upstream
        # connections, which the kernel hands to either worker.
        with ThreadPoolExecutor(24) as pool:
            statuses = list(pool.map(call, range(90)))
        assert statuses.count(200) == 81 and statuses.count(401) == 9
        rounds += 1
        served_by = {line['pid'] for line in stack.request_log()
                     if line['path'] == f'{API}/jobs'}
        if len(served_by) >= 2:
            break
    assert len(served_by) >= 2, served_by

    scraped = stack.http.get(f'{stack.base}/metrics').text
    route = f'route="{API}/jobs"'

    def sample(prefix, *labels):
        found = [line for line in scraped.splitlines()
                 if line.startswith(prefix + '{') and all(label in line for label in labels)]
        assert len(found) == 1, (prefix, labels, found)
        return float(found[0].rsplit(' ', 1)[1])

    assert sample('datamachine_http_requests_total', route, 'status="200"') == 81 * rounds
    assert sample('datamachine_http_requests_total', route, 'status="401"') == 9 * rounds
    assert sample('datamachine_http_request_duration_seconds_count', route) == 90 * rounds
    assert sample('datamachine_auth_failures_total', 'reason="rest_not_logged_in"') == 9 * rounds
    assert sample('datamachine_jobs', 'base_status="failed"') == count_rows(
        Job, Job.base_status == 'failed')


def under_load(stack, auth, action, clients=6):
    """Drive GET /jobs through nginx from `clients` keep-alive clients while `action()` runs
    (after LOAD_ANSWERS answers, and until LOAD_ANSWERS more started after it returned); return
    what `action` returned and every request as (started, status), bounded in count and time."""
    outcomes, stop = [], threading.Event()

    def load():
        with requests.Session() as session:
            session.trust_env, session.verify = False, stack.certificate
            for _ in range(3000):
                if stop.is_set():
                    return
                started = time.monotonic()
                try:
                    status = session.get(f'{stack.base}{API}/jobs?per_page=100', headers=auth,
                                         timeout=10).status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                outcomes.append((started, status))

    threads = [threading.Thread(target=load) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(outcomes) >= LOAD_ANSWERS, 'answers before the action')
        result = action()
        returned = time.monotonic()
        wait_for(lambda: sum(1 for started, _ in list(outcomes) if started > returned)
                 >= LOAD_ANSWERS, 'answers after the action')
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return result, outcomes


def wait_for_workers(stack, gone):
    """Wait until gunicorn again has all its workers, none of them in `gone`; return when."""

    def replaced():
        now = stack.workers()
        return len(now) == WORKERS and not set(now) & set(gone)

    wait_for(replaced, f'all {WORKERS} workers, none of {gone}')
    return time.monotonic()


def test_a_killed_worker_is_replaced_and_only_its_requests_in_flight_fail(app, stack):
    seed_jobs(app, 400)
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    clients = 6

    def kill_one():
        before = stack.workers()
        assert len(before) == WORKERS
        killed_at = time.monotonic()
        os.kill(before[0], signal.SIGKILL)
        return killed_at, wait_for_workers(stack, before[:1])

    (killed_at, replaced_at), outcomes = under_load(stack, auth, kill_one, clients)
    failures = [(start, status) for start, status in outcomes if status != 200]
    print(f'{len(outcomes)} requests, {len(failures)} failed, the worker replaced in '
          f'{replaced_at - killed_at:.2f} s')
    assert len(failures) <= clients  # at most the one request each client had in flight
    assert all(start < killed_at for start, _ in failures), failures  # none started after
    after = [status for start, status in outcomes if start > replaced_at]
    assert len(after) > 100 and set(after) == {200}
    assert sum(1 for start, status in outcomes if start < killed_at and status == 200) > 100


def test_a_reload_replaces_every_worker_without_failing_a_request(app, stack):
    """SIGHUP (systemctl reload): new workers start, old ones finish their requests first."""
    seed_jobs(app, 400)
    auth = basic('admin', create_account(app, 'admin', 'administrator'))

    def reload():
        before = stack.workers()
        stack.gunicorn.send_signal(signal.SIGHUP)
        wait_for_workers(stack, before)
        return before

    old_workers, outcomes = under_load(stack, auth, reload)
    assert len(outcomes) > 200 and {status for _, status in outcomes} == {200}
    served_by = {line['pid'] for line in stack.request_log()}
    assert served_by & set(old_workers) and served_by - set(old_workers)


RETRIED_CLEAR_JOBS = 5000


@pytest.fixture
def two_nodes(app, database_url, tmp_path):
    """Two gunicorn nodes of two workers each behind nginx, as two hosts would run them; clears
    delete 10 jobs per transaction, so that one is still at work when its worker is killed."""
    yield from started_stack(database_url, tmp_path, 2, nodes=2,
                             settings={'DATAMACHINE_CLEAR_BATCH_SIZE': '10'})


def test_a_clear_whose_worker_dies_is_finished_once_by_nginxs_retry(app, two_nodes):
    """nginx sends the DELETE again to the next server when the worker running it is killed; the
    key nginx gave it makes the retry resume the same clear: same bound, one audit record."""
    stack = two_nodes
    with app.app_context(), db.database.connection_context():
        _, items = seed.seed(RETRIED_CLEAR_JOBS, rng_seed=next(SEEDS))
    fail_every_job()
    auth = basic('admin', create_account(app, 'admin', 'administrator'))
    workers = stack.workers(stack.nodes[0][0]) + stack.workers(stack.nodes[1][0])
    answer = {}
    client = threading.Thread(target=lambda: answer.update(response=stack.http.delete(
        f'{stack.base}{API}/jobs', headers=auth, json={'type': 'failed', 'cleanup_processed': True},
        timeout=300)))
    client.start()

    def audited_rows():
        with db.database.connection_context():
            record = AuditRecord.select().first()
        return record if record is not None and record.rows_deleted else None

    wait_for(audited_rows, 'the clear to delete its first rows', seconds=60)
    first_process = audited_rows().process
    pid = int(first_process.rsplit(':', 1)[1])
    assert pid in workers
    later = [insert_job('failed') for _ in range(5)]  # created after the request began
    os.kill(pid, signal.SIGKILL)
    client.join(timeout=300)

    response = answer['response']
    assert response.status_code == 200, response.text
    assert response.json() == {'success': True, 'message': 'Jobs cleared successfully.',
                               'jobs_deleted': RETRIED_CLEAR_JOBS,
                               'processed_items_cleaned': items}
    with db.database.connection_context():
        assert [job_id for (job_id,) in Job.select(Job.job_id).order_by(Job.job_id).tuples()] \
            == later
        [record] = AuditRecord.select()
        [key] = IdempotencyKey.select()
    assert (record.outcome, json.loads(record.rows_deleted)) == (
        'completed', {'jobs': RETRIED_CLEAR_JOBS, 'processed_items': items})
    assert record.process != first_process  # resumed by another worker
    assert re.fullmatch('[0-9a-f]{32}', key.idempotency_key)  # nginx's $request_id
    assert key.audit_id == record.id and key.status_code == 200

