"""Makes the current request known to ``audit.record`` (its address and browser), so that the
services need not pass the request down."""

from contextvars import ContextVar

_request: ContextVar = ContextVar("audit_request", default=None)


def current_request():
    return _request.get()


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
