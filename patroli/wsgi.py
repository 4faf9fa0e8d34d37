import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patroli.settings")
application = get_wsgi_application()

# The URLconf, loaded with the app rather than by its first request: importing every view and
# building the API's schemas takes about a second, which the first user of each new worker
# would otherwise wait for. `patroli serve` loads this module once, in gunicorn's master
# (--preload), and forks the workers from it; plain gunicorn loads it in each worker before the
# worker accepts a connection. No query runs here, so the server still starts, and answers
# /healthz, while the database is down (core/tests/test_serve.py).
get_resolver().url_patterns  # noqa: B018 (a lazy attribute, read for its side effect)
