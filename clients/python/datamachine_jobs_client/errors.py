"""The one exception: an error answer of the service, or no usable answer at all."""


class JobsAPIError(Exception):
    """An error answer: its HTTP status and the envelope's code, message and data (`params`
    names the parameters a 400 found wrong)."""

    def __init__(self, status, code, message, data=None):
        super().__init__(f'{status} {code}: {message}')
        self.status, self.code, self.message = status, code, message
        self.data = data or {}

    @property
    def params(self):
        """{parameter: what is wrong with it} of an invalid request, else {}."""
        params = self.data.get('params') or {}
        return params if isinstance(params, dict) else {name: '' for name in params}
