"""The dashboard's files as the service serves them: the committed build, the page never cached
and under a strict Content-Security-Policy, its hashed assets cached for a year."""
import re

from support import API


def get(client, path):
    """The answer to GET `path`, read whole and its file closed."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; "
               "form-action 'self'")


def test_the_root_and_the_bare_path_lead_to_the_page(client):
    home = client.get('/')
    assert (home.status_code, home.headers['Location']) == (302, '/dashboard/')
    bare = client.get('/dashboard')  # the page finds the API relative to its own address
    assert bare.status_code == 308 and bare.headers['Location'].endswith('/dashboard/')


def test_the_page_is_never_cached_and_loads_only_its_own_files(client):
    page = get(client, '/dashboard/')
    assert page.status_code == 200 and page.mimetype == 'text/html'
    assert page.headers['Cache-Control'] == 'no-cache'
    assert page.headers['Content-Security-Policy'] == PAGE_POLICY
    assert page.headers['X-Content-Type-Options'] == 'nosniff'
    assert page.headers['Referrer-Policy'] == 'same-origin'
    assert '<html lang="en"' in page.get_data(as_text=True)


def test_every_file_the_page_names_is_served_and_cached_for_a_year(client):
    html = get(client, '/dashboard/').get_data(as_text=True)
    files = re.findall(r'(?:src|href)="/dashboard/(assets/[^"]+)"', html)
    assert any(name.endswith('.js') for name in files)
    assert any(name.endswith('.css') for name in files)
    for name in files:
        asset = get(client, f'/dashboard/{name}')
        assert asset.status_code == 200, name
        assert asset.headers['Cache-Control'] == 'public, max-age=31536000, immutable'
        assert asset.mimetype in ('text/javascript', 'application/javascript', 'text/css'), name


def test_a_missing_asset_is_the_json_404(client):
    response = client.get('/dashboard/assets/nothing-here.js')
    assert response.status_code == 404
    assert response.get_json()['code'] == 'rest_no_route'


def test_the_page_is_public_and_the_api_is_not(client):
    assert get(client, '/dashboard/').status_code == 200
    assert client.get(f'{API}/jobs').status_code == 401
