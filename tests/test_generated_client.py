"""A client generated from the OpenAPI document by openapi-python-client works against the live
service: a list, a dry run whose counts survive the typing, and the clear itself."""
import base64
import importlib
import json
import os
import subprocess
import sys

import pytest
from support import API, create_account, insert_items, insert_job

from datamachine_jobs import openapi

pytestmark = pytest.mark.slow


@pytest.fixture
def generated(tmp_path, monkeypatch):
    """The generated package, imported."""
    (tmp_path / 'openapi.json').write_text(json.dumps(openapi.build()))
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'openapi-python-client'), 'generate',
         '--path', 'openapi.json', '--meta', 'none', '--output-path', 'dmj_generated'],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, 'PATH': f'{os.path.dirname(sys.executable)}:{os.environ["PATH"]}'})
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'Warning' not in done.stdout, done.stdout  # every operation and schema generated
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module('dmj_generated')
    for name in [name for name in sys.modules if name.startswith('dmj_generated')]:
        del sys.modules[name]


def test_a_generated_client_lists_previews_and_clears(app, generated, live_url):
    failed = [insert_job('failed', flow_id=7) for _ in range(3)]
    insert_items(failed[0], 2, flow_id=7)
    kept = insert_job('completed', flow_id=7)
    token = base64.b64encode(
        f"ops:{create_account(app, 'ops', 'administrator')}".encode()).decode()
    models = importlib.import_module('dmj_generated.models')
    with generated.AuthenticatedClient(base_url=live_url + API, token=token,
                                       prefix='Basic') as client:
        listed = importlib.import_module('dmj_generated.api.default.list_jobs').sync(
            client=client, order='ASC')
        assert isinstance(listed, models.JobList)
        assert listed.total == 4 and [job.job_id for job in listed.data] == [*failed, kept]
        assert listed.data[0].status == 'failed' and listed.next_cursor is None

        clear_jobs = importlib.import_module('dmj_generated.api.default.clear_jobs')
        preview = clear_jobs.sync(client=client, body=models.ClearJobsArgs(
            type_=models.ClearJobsArgsType.FAILED, cleanup_processed=True, dry_run=True))
        assert isinstance(preview, models.ClearPreview)
        assert (preview.dry_run, preview.jobs_matched, preview.processed_items_matched) == (
            True, 3, 2)
        assert preview.by_status['failed'] == 3

        cleared = clear_jobs.sync(client=client, body=models.ClearJobsArgs(
            type_=models.ClearJobsArgsType.FAILED, cleanup_processed=True))
        assert isinstance(cleared, models.Cleared)
        assert (cleared.jobs_deleted, cleared.processed_items_cleaned) == (3, 2)
        assert cleared.message == 'Jobs cleared successfully.'

        missing = importlib.import_module('dmj_generated.api.default.get_job').sync_detailed(
            client=client, job_id=failed[0])
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Error)
        assert missing.parsed.code == 'job_not_found'
