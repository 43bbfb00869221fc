"""A job held by one runner for the length of a `with` block: claimed, kept alive by heartbeats
in the background, and finished however the block ends."""
import threading

import requests

from .errors import JobsAPIError


class RunningJob:
    """What JobsClient.running returns."""

    def __init__(self, client, job_id, runner, interval):
        self.client, self.job_id, self.runner, self.interval = client, job_id, runner, interval
        self.job, self.finished, self.lease_lost = None, False, None
        self._stop = threading.Event()
        self._beats = threading.Thread(target=self._beat, daemon=True,
                                       name=f'heartbeat-{job_id}')

    def __enter__(self):
        self.job = self.client.claim_job(self.job_id, self.runner)
        self._beats.start()
        return self

    def _beat(self):
        while not self._stop.wait(self.interval):
            try:
                self.client.heartbeat(self.job_id, self.runner)
            except JobsAPIError as error:  # 409: recovered as stuck, or another runner's now
                self.lease_lost = error
                return
            except requests.RequestException:
                continue  # the next beat may get through; the lease outlasts a few misses

    def finish(self, status='completed', error_message=None):
        """End the job with this status now; the block's end then leaves it as it is."""
        self.job = self.client.update_job(self.job_id, status, error_message)
        self.finished = True
        return self.job

    def __exit__(self, kind, error, traceback):
        self._stop.set()
        self._beats.join()
        if not self.finished:
            if error is None:
                self.finish()
            else:
                self.finish('failed', f'{kind.__name__}: {error}'[:16000])
        return False
