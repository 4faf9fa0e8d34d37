"""Every address the project answers: the URL configuration walked, and the API's OpenAPI document.

The authorization matrix (test_authz_matrix.py) holds an entry for each of these, so that a route
added anywhere shows up there as a failure until someone says who may use it.
"""

import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def url_routes(resolver: URLResolver | None = None) -> set[str]:
    """Every pattern of the URL configuration as one string, prefixes joined: ``app/aduan/
    <int:concern_id>/``, ``api/v1/visits/<visit_id>`` (django-ninja's), ``admin/...``."""
    resolver = resolver or get_resolver()

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    return set(walk(resolver.url_patterns, ""))


def as_openapi_path(route: str) -> str:
    """``api/v1/visits/<visit_id>`` (or ``<uuid:visit_id>``) as OpenAPI writes it:
    ``/api/v1/visits/{visit_id}``."""
    return "/" + _PARAMETER.sub(r"{\1}", route)


def api_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI document, e.g. ("get", "/api/v1/me")."""
    response = Client().get(f"{API_PREFIX}openapi.json")
    assert response.status_code == 200, response.status_code
    return {
        (method, path)
        for path, operations in response.json()["paths"].items()
        for method in operations
        if method in METHODS
    }
