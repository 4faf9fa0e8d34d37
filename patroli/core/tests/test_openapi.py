"""The API contract is generated: every route is documented with its responses and schemas."""

import pytest

pytestmark = pytest.mark.django_db

PUBLIC_CONTRACT = {
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/units"),
    ("get", "/api/v1/regions"),
    ("get", "/api/v1/regions/{code}"),
    ("get", "/api/v1/sites"),
    ("post", "/api/v1/sites"),
    ("get", "/api/v1/sites/{site_id}"),
    ("get", "/api/v1/visits"),
    ("post", "/api/v1/visits"),
    ("get", "/api/v1/visits/{visit_id}"),
}


def test_every_route_has_a_schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    routes = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            routes.add((method, path))
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, f"{method} {path} documents no success response"
            for code in ok:
                content = operation["responses"][code].get("content", {})
                assert "application/json" in content, f"{method} {path} {code} has no schema"
            if method == "post":
                assert "requestBody" in operation, f"{method} {path} documents no body"
    assert routes >= PUBLIC_CONTRACT


def test_docs_page(client):
    assert client.get("/api/v1/docs").status_code == 200
