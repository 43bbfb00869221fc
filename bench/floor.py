"""The framework floor: the same Flask app shape under the same gunicorn config, answering a
precomputed JSON body of a requested size with no auth and no database.

`gunicorn -c gunicorn.conf.py bench.floor:app`, then GET /floor/<bytes>.
"""
from flask import Flask

from datamachine_jobs.jsonio import CONTENT_TYPE, OrjsonProvider

app = Flask(__name__)
app.json = OrjsonProvider(app)
BODIES = {}


@app.get('/floor/<int:size>')
def floor(size):
    """A body of `size` bytes, built once."""
    body = BODIES.get(size)
    if body is None:
        body = BODIES[size] = b'{"p":"' + b'x' * max(size - 8, 0) + b'"}'
    return app.response_class(body, content_type=CONTENT_TYPE)
