"""The API's error answers: field-level 422 errors for checks that need the database (unknown
codes, foreign units), the OpenAPI documentation of the errors every operation can give, and the
422 for NUL characters, which no text of ours may hold."""

import json
from contextlib import suppress

from django.http import JsonResponse
from ninja.errors import ValidationError


class FieldErrors:
    """Collects errors in django-ninja's own shape, so clients parse one format."""

    def __init__(self, root: tuple[str, ...] = ("body", "payload")):
        self.root = root
        self.errors: list[dict] = []

    def add(self, loc: tuple, message: str) -> None:
        self.errors.append({"type": "value_error", "loc": [*self.root, *loc], "msg": str(message)})

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# django-ninja answers these itself, before or around the view, with {"detail": ...}.
MESSAGE = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "title": "Message",
}
FIELD_ERRORS = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
                "required": ["type", "loc", "msg"],
            },
        }
    },
    "required": ["detail"],
    "title": "FieldErrors",
}
MSG, FIELDS = "Message", "FieldErrors"
UNSAFE = {"post", "put", "patch", "delete"}


def _answer(description: str, component: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def document_errors(schema: dict) -> dict:
    """Add to every operation the errors django-ninja gives without the view saying so.

    400 when the body cannot be parsed; 401 without valid credentials; 403 when a session cookie
    comes without its CSRF token (on writes); 404 when a path names a record that is not there
    or not visible; 422 when a parameter or the body does not validate. A status an operation
    documents itself is kept.
    """
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(MSG, MESSAGE)
    schemas.setdefault(FIELDS, FIELD_ERRORS)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            errors = {}
            if "requestBody" in operation:
                errors["400"] = _answer("The body is not JSON (or not the documented type)", MSG)
            if operation.get("security"):
                errors["401"] = _answer("Unauthorized: no valid token or session", MSG)
                if method in UNSAFE:
                    errors["403"] = _answer(
                        "Forbidden: a session without its CSRF token", "Message"
                    )
            if any(p.get("in") == "path" for p in parameters):
                errors["404"] = _answer("Not Found (or not visible to you)", MSG)
            if parameters or "requestBody" in operation:
                errors["422"] = _answer("A parameter or the body is not valid", FIELDS)
            responses = operation.setdefault("responses", {})
            for status, answer in errors.items():
                responses.setdefault(status, answer)
    return schema


NUL_MESSAGE = "Text must not contain NUL characters (\\u0000)"


def _nul_locations(value, loc: list) -> list[list]:
    """Where in parsed JSON a string (or an object's key) holds a NUL character."""
    if isinstance(value, str):
        return [loc] if "\x00" in value else []
    if isinstance(value, dict):
        found = [[*loc, key] for key in value if "\x00" in key]
        for key, item in value.items():
            found += _nul_locations(item, [*loc, key])
        return found
    if isinstance(value, list):
        return [hit for i, item in enumerate(value) for hit in _nul_locations(item, [*loc, i])]
    return []


class RejectNulMiddleware:
    """422 for an API request with a NUL character in its path, query or JSON body.

    PostgreSQL text cannot hold NUL (the query fails: a 500) and SQLite keeps it silently, so no
    text of ours may have one. Web forms refuse it already (Django's CharField); this is the
    API's equivalent, before any view, for every parameter at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/") and (errors := self.errors(request)):
            return JsonResponse({"detail": errors}, status=422)
        return self.get_response(request)

    @staticmethod
    def errors(request) -> list[dict]:
        found = [["path"]] if "\x00" in request.path_info else []
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                found.append(["query", key])
        # In JSON a NUL can only be the escape \u0000 (a raw one is invalid): parse only then.
        if request.content_type == "application/json" and b"\\u0000" in request.body:
            with suppress(ValueError):  # not JSON: django-ninja answers 400
                found += _nul_locations(json.loads(request.body), ["body"])
        return [{"type": "string_nul", "loc": loc, "msg": NUL_MESSAGE} for loc in found]
