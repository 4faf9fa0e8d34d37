"""The Content-Security-Policy header: what a page may load and run.

Everything comes from our own origin. Scripts are files (the only inline ones are
``type="application/json"`` data blocks, which are not run); there are no inline styles or style
attributes, and Leaflet styles its elements through the DOM, which a policy does not restrict.
Pictures may also be data: and blob: URIs (the QR code of the authenticator app, photos chosen on
a phone) and map tiles from PATROLI_TILE_URL's server. No page may be framed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def tile_source(url: str) -> str:
    """The CSP source of a tile URL's server: ``https://tile.example.org``; a ``{s}`` sub-domain
    placeholder becomes ``*``; an address with placeholders elsewhere allows its scheme only."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in host or "}" in host:
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"


def policy() -> str:
    images = ["'self'", "data:", "blob:"]
    if settings.PATROLI_TILE_URL and (source := tile_source(settings.PATROLI_TILE_URL)):
        images.append(source)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if settings.PATROLI_CSP_REPORT_URI:
        directives["report-uri"] = [settings.PATROLI_CSP_REPORT_URI]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every answer that has none yet (Report-Only when
    PATROLI_CSP_REPORT_ONLY is set)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.PATROLI_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        # Django's own error pages in DEBUG style themselves inline: leave them readable.
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if not debug_page and header not in response:
            response[header] = policy()
        return response
