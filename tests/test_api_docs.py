"""The live API docs at /wp-json/datamachine/v1/docs in a real browser (Debian's Chromium):
Swagger UI shows every operation, loads nothing from beyond the service, and "try it out" works
with Basic auth and with a dashboard session."""
import pytest
from playwright.sync_api import expect
from support import API, create_account

from datamachine_jobs import openapi

pytestmark = pytest.mark.slow


@pytest.fixture
def docs(browser, live_url):
    """A page of a fresh browser context whose every request is recorded; any to another
    address than the service is refused."""
    context = browser.new_context()
    context.set_default_timeout(15000)
    requested = []

    def only_the_service(route):
        requested.append(route.request.url)
        if route.request.url.startswith(live_url + '/'):
            route.continue_()
        else:
            route.abort()
    context.route('**/*', only_the_service)
    yield context.new_page(), requested
    context.close()


def try_list_jobs(page):
    operation = page.locator('#operations-default-list_jobs')
    operation.locator('.opblock-summary').click()
    operation.get_by_role('button', name='Try it out').click()
    operation.get_by_role('button', name='Execute').click()
    return operation.locator('.live-responses-table tr.response .response-col_status')


def test_the_docs_page_works_offline_with_basic_auth(app, docs, live_url):
    page, requested = docs
    password = create_account(app, 'ops', 'administrator')
    errors = []
    page.on('console', lambda message: errors.append(message.text)
            if message.type == 'error' else None)
    page.goto(f'{live_url}{API}/docs/')  # the slash is dropped by a redirect
    expect(page).to_have_url(f'{live_url}{API}/docs')
    operations = sum(len(methods) for methods in openapi.build()['paths'].values())
    expect(page.locator('.opblock')).to_have_count(operations)
    expect(page.locator('#operations-default-clear_jobs')).to_contain_text('/jobs')

    page.get_by_role('button', name='Authorize').first.click()
    basic = page.locator('.modal-ux .auth-container').filter(has_text='basicAuth')
    basic.locator('input[type=text]').fill('ops')
    basic.locator('input[type=password]').fill(password)
    basic.locator('button.authorize').click()
    expect(basic).to_contain_text('Authorized')
    page.locator('.modal-ux button.btn-done').first.click()
    expect(try_list_jobs(page)).to_have_text('200')
    assert requested and all(url.startswith(live_url + '/') for url in requested), requested
    assert not [e for e in errors if 'Content Security Policy' in e], errors


def test_try_it_out_uses_a_signed_in_session(app, docs, live_url):
    page, _ = docs
    password = create_account(app, 'ops', 'administrator')
    signed_in = page.request.post(f'{live_url}{API}/session',
                                  data={'username': 'ops', 'password': password})
    assert signed_in.status == 200
    page.goto(f'{live_url}{API}/docs')
    expect(try_list_jobs(page)).to_have_text('200')
