"""The officer's installable, offline-first web app: manifest, service worker and outbox page.

The service worker keeps the app shell (styles, scripts, icons) and the pages an officer opened
last (today's sites, the visit form with its sites, appeals and categories, the outbox), so the
form opens without signal. Visits are saved on the phone first (IndexedDB, see outbox.js) and sent
through ``POST /api/v1/sync``; their photos follow through the photo endpoint.
"""

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache

# What the app needs before anything else, fetched when the service worker installs.
SHELL_STATIC = [
    "css/patroli.css",
    "js/outbox.js",
    "js/language.js",
    "js/visit-form.js",
    "js/offline-form.js",
    "img/icon-192.png",
]
# Pages kept for offline use once visited; the first three are fetched at install.
SHELL_PAGES = ["app:today", "app:visit-new", "offline:outbox"]


def shell_urls() -> list[str]:
    return [static(path) for path in SHELL_STATIC] + [reverse(name) for name in SHELL_PAGES]


@cache_control(public=True, max_age=86400)
def manifest(request):
    return render(
        request,
        "offline/manifest.webmanifest",
        {"start_url": reverse("dashboard:home"), "scope": "/app/"},
        content_type="application/manifest+json",
    )


@never_cache
def service_worker(request):
    """The worker's script; its version changes whenever the shell's addresses change (hashed
    static names in production), which makes browsers install the new one."""
    urls = shell_urls()
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    response = render(
        request,
        "offline/sw.js",
        {"version": version, "shell": json.dumps(urls), "outbox": reverse("offline:outbox")},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/app/"
    return response


@login_required
def outbox(request):
    """The visits waiting on this phone: drawn by outbox.js from IndexedDB."""
    return render(request, "offline/outbox.html")
