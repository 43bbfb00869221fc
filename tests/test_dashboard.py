"""The jobs dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
gunicorn (gunicorn.conf.py) on a seeded database. An operator signs in, filters, sorts, pages
and walks back with the browser's own button, opens a job, clears failed jobs after their
preview, reads the audit log and signs out; a subscriber is told what is missing; a database
outage shows a banner that leaves by itself; a request with the session cookie but no nonce
changes nothing. Every screen is checked with axe-core and photographed at 1280 and 360 px
(under artefacts/dashboard/, which git ignores)."""
import os
import re
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from support import (
    API,
    ROOT,
    SECRET,
    Listener,
    close_pool,
    create_account,
    gunicorn_argv,
    make_app,
    outage_switch,
    spawn,
    wait_for,
    wait_until_up,
)

from datamachine_jobs import db
from datamachine_jobs.models import AuditRecord, Job
from datamachine_jobs.services import seed

pytestmark = pytest.mark.slow

ARTEFACTS = os.path.join(ROOT, 'artefacts', 'dashboard')
JOBS = 3000
SERIOUS = {'serious', 'critical'}
WIDE, NARROW = {'width': 1280, 'height': 900}, {'width': 360, 'height': 780}
# What a person would wait, at most, for the page to show something (CI machines are busy).
expect.set_options(timeout=15_000)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=WIDE)
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def serve(database_url, tmp_path):
    """gunicorn with gunicorn.conf.py on `database_url`; return (process, base URL)."""
    listener = Listener()
    with open(tmp_path / 'gunicorn.log', 'w') as log:
        process = spawn(gunicorn_argv(listener, '-c', 'gunicorn.conf.py', '-w', '2'), [listener],
                        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                        env={**os.environ, 'DATAMACHINE_DATABASE_URL': database_url,
                             'DATAMACHINE_SECRET_KEY': SECRET,
                             'PROMETHEUS_MULTIPROC_DIR': str(tmp_path / 'metrics')})
    base = f'http://127.0.0.1:{listener.port}'
    wait_until_up(base + '/healthz', process)
    return process, base


@pytest.fixture
def dashboard(app, database_url, tmp_path):
    """A seeded database behind gunicorn; yields its base URL and an administrator's password."""
    with app.app_context(), db.database.connection_context():
        seed.seed(JOBS, rng_seed=3)
    password = create_account(app, 'ops', 'administrator')
    process, base = serve(database_url, tmp_path)
    yield base, password
    process.terminate()
    process.wait(timeout=30)


def check(page, name):
    """No serious or critical axe-core violation on the screen; photographs at both widths.
    Axe looks once the screen's animations have ended, but for endless ones such as a spinner
    (a modal fading in has, half-way, text of too little contrast)."""
    wait_for(lambda: page.evaluate(  # evaluate, not wait_for_function: the page's CSP bars eval
        "document.getAnimations().every(animation => animation.playState !== 'running'"
        " || animation.effect.getComputedTiming().iterations === Infinity)"),
        f'the animations of {name} to end')
    violations = [(v['id'], v['impact'], v['help'], [n['target'] for n in v['nodes']][:3])
                  for v in Axe().run(page).response['violations'] if v['impact'] in SERIOUS]
    os.makedirs(ARTEFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTEFACTS, f'{name}-1280.png'), full_page=True)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(300)  # the layout settles
    page.screenshot(path=os.path.join(ARTEFACTS, f'{name}-360.png'), full_page=True)
    page.set_viewport_size(WIDE)
    assert violations == [], name


def sign_in(page, base, username, password):
    page.goto(base + '/')
    page.get_by_label('Username').fill(username)
    page.get_by_label('Application password').fill(password)
    page.get_by_role('button', name='Sign in').click()


def api_jobs(base, password, **query):
    """GET /jobs as the API answers it to the same user, with Basic auth."""
    response = requests.get(f'{base}{API}/jobs', params=query, auth=('ops', password),
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def shown_job_ids(page):
    return [int(re.search(r'\d+', text).group()) for text in
            page.locator('tbody tr td:first-child').all_inner_texts()]


def query_of(page):
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_an_operator_works_through_the_dashboard(page, dashboard):
    base, password = dashboard
    page.goto(base + '/')
    assert urlparse(page.url).path == '/dashboard/'
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    check(page, 'sign-in')

    sign_in(page, base, 'ops', 'x' * 24)
    expect(page.get_by_test_id('login-error')).to_contain_text(
        'Wrong username or application password.')
    check(page, 'sign-in-refused')

    sign_in(page, base, 'ops', password)
    expect(page.get_by_test_id('jobs-total')).to_have_text(f'{JOBS:,} jobs')
    expect(page.get_by_test_id('summary')).to_be_visible()
    check(page, 'jobs')

    # Two statuses from the table's own filter.
    page.locator('.dataviews-filters__summary-chip', has_text='Status').click()
    statuses = page.get_by_role('listbox', name='List of: Status')
    statuses.get_by_role('option', name='Failed', exact=True).click()
    statuses.get_by_role('option', name='Skipped by agent', exact=True).click()
    page.keyboard.press('Escape')
    expected = api_jobs(base, password, status='failed,agent_skipped', per_page=1)['total']
    expect(page.get_by_test_id('jobs-total')).to_have_text(f'{expected:,} jobs')
    assert query_of(page)['status'] in ('failed,agent_skipped', 'agent_skipped,failed')
    badges = page.locator('tbody tr td:nth-child(2)').all_inner_texts()
    assert badges and all(text.startswith(('Failed', 'Skipped by agent')) for text in badges)
    check(page, 'jobs-filtered')

    # Sorted by completion, newest first: the rows the API gives for the same query.
    page.get_by_role('table').get_by_role('button', name=re.compile('^Completed')).click()
    page.get_by_role('menuitemradio', name='Sort descending').click()
    page.keyboard.press('Escape')  # the column's menu stays open for more choices
    expect(page).to_have_url(re.compile('orderby=completed_at'))
    per_page = len(shown_job_ids(page))
    listed = api_jobs(base, password, status='failed,agent_skipped', orderby='completed_at',
                      order='DESC', per_page=per_page)
    expect(page.locator('tbody tr td:first-child').first).to_contain_text(
        str(listed['data'][0]['job_id']))
    assert shown_job_ids(page) == [job['job_id'] for job in listed['data']]

    # Page 3, then back with the browser's button: the URL holds the view.
    page.get_by_role('combobox', name='Current page').select_option('3')
    expect(page).to_have_url(re.compile('page=3'))
    third = api_jobs(base, password, status='failed,agent_skipped', orderby='completed_at',
                     order='DESC', per_page=per_page, offset=2 * per_page)
    expect(page.locator('tbody tr td:first-child').first).to_contain_text(
        str(third['data'][0]['job_id']))
    assert shown_job_ids(page) == [job['job_id'] for job in third['data']]
    page.go_back()
    expect(page).not_to_have_url(re.compile('page=3'))
    expect(page.locator('tbody tr td:first-child').first).to_contain_text(
        str(listed['data'][0]['job_id']))

    # One job in detail, with its processed items.
    job_id = listed['data'][0]['job_id']
    page.get_by_role('button', name=f'Job {job_id}', exact=True).click()
    detail = page.get_by_role('dialog')
    expect(detail).to_contain_text(f'Job {job_id}')
    check(page, 'job-detail')
    page.keyboard.press('Escape')
    expect(detail).to_have_count(0)

    # Clear the failed jobs: the preview's numbers first, then the button that names them.
    with db.database.connection_context():
        failed = Job.select().where(Job.status.startswith('failed')).count()
    page.get_by_role('button', name='Clear jobs').click()
    page.get_by_role('button', name='Preview').click()
    confirm = page.get_by_role('button', name=re.compile(f'^Delete {failed:,} failed jobs?$'))
    expect(confirm).to_be_visible()
    check(page, 'clear-preview')
    confirm.click()
    expect(page.get_by_role('dialog')).to_contain_text(f'Deleted {failed:,} jobs')
    with db.database.connection_context():
        assert Job.select().where(Job.status.startswith('failed')).count() == 0
        record = AuditRecord.get()
    assert (record.action, record.via, record.username, record.outcome) == (
        'jobs.clear', 'dashboard', 'ops', 'completed')
    page.get_by_role('dialog').get_by_text('Close', exact=True).click()

    page.get_by_role('button', name='Audit').click()
    expect(page.get_by_role('dialog')).to_contain_text('ops')
    check(page, 'audit')
    page.keyboard.press('Escape')

    page.get_by_role('button', name='Clear processed items').click()
    expect(page.get_by_role('dialog')).to_be_visible()
    check(page, 'clear-processed-items')
    page.keyboard.press('Escape')
    expect(page.get_by_role('dialog')).to_have_count(0)

    page.get_by_role('button', name='Sign out').click()
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()
    page.reload()
    expect(page.get_by_role('button', name='Sign in')).to_be_visible()


def test_a_subscriber_is_told_what_is_missing(app, page, dashboard):
    base, _ = dashboard
    sign_in(page, base, 'reader', create_account(app, 'reader', 'subscriber'))
    expect(page.get_by_test_id('forbidden')).to_contain_text('administrator')
    check(page, 'forbidden')


def test_the_session_cookie_without_its_nonce_changes_nothing(page, dashboard):
    """What another site's form or script could send with the operator's cookie."""
    base, password = dashboard
    sign_in(page, base, 'ops', password)
    expect(page.get_by_test_id('jobs-total')).to_have_text(f'{JOBS:,} jobs')
    for headers, status in (({}, 401), ({'X-WP-Nonce': '0' * 32}, 403)):
        response = page.request.delete(f'{base}{API}/jobs', headers=headers,
                                       data={'type': 'all'})
        assert response.status == status
    with db.database.connection_context():
        assert Job.select().count() == JOBS and AuditRecord.select().count() == 0


def test_a_database_outage_shows_a_banner_that_leaves_by_itself(backend, page, tmp_path):
    with outage_switch(backend, tmp_path) as (url, cut, restore):
        app = make_app(url)
        try:
            with app.app_context(), db.database.connection_context():
                db.migration_runner().up()
                seed.seed(50, rng_seed=4)
            password = create_account(app, 'ops', 'administrator')
        finally:
            close_pool(app)
        process, base = serve(url, tmp_path)
        try:
            sign_in(page, base, 'ops', password)
            expect(page.get_by_test_id('jobs-total')).to_have_text('50 jobs')
            page.get_by_label('Auto-refresh').check()
            cut()
            expect(page.get_by_test_id('banner-database')).to_be_visible(timeout=30000)
            check(page, 'database-unavailable')
            restore()
            expect(page.get_by_test_id('banner-database')).to_have_count(0, timeout=60000)
            expect(page.get_by_test_id('jobs-total')).to_have_text('50 jobs')
        finally:
            process.terminate()
            process.wait(timeout=30)
