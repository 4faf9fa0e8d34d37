"""The API's error answers: field-level 422 errors for checks that need the database (unknown
codes, foreign units), the messages of pydantic's own checks in the request's language, the
OpenAPI documentation of the errors every operation can give, and the 422 for NUL characters,
which no text of ours may hold."""

import json
from contextlib import suppress

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
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


# pydantic's messages are English: the officers' app shows them (an outbox's rejected visit), so
# each kind of check says it again in the request's language, with the same figures.
_TEXT = _("Give text")
_WHOLE = _("Give a whole number")
_NUMBER = _("Give a number")
_CHOICE = _("Choose one of: %(expected)s")
_TRUE_FALSE = _("Give true or false")
_UUID = _("Give a UUID (such as 3f0c6f0e-8a1b-4c1e-9d7a-1c2b3d4e5f60)")
_MOMENT = _("Give a date and time in ISO 8601 form with its time zone (2024-01-23T10:00:00+08:00)")
_DATE = _("Give a date in the form YYYY-MM-DD")
_OBJECT = _("Give an object")
_URL = _("Give a web address (URL)")
MESSAGES = {
    "missing": _("This field is required"),
    "extra_forbidden": _("This field is not known"),
    "json_invalid": _("Give valid JSON"),
    "string_type": _TEXT,
    "string_unicode": _TEXT,
    "string_too_short": ngettext_lazy(
        "Give at least %(min_length)s character",
        "Give at least %(min_length)s characters",
        "min_length",
    ),
    "string_too_long": ngettext_lazy(
        "Give at most %(max_length)s character",
        "Give at most %(max_length)s characters",
        "max_length",
    ),
    "string_pattern_mismatch": _("The text does not have the expected form"),
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "greater_than": _("Give a value greater than %(gt)s"),
    "greater_than_equal": _("Give a value of at least %(ge)s"),
    "less_than": _("Give a value less than %(lt)s"),
    "less_than_equal": _("Give a value of at most %(le)s"),
    "multiple_of": _("Give a multiple of %(multiple_of)s"),
    "too_short": ngettext_lazy(
        "Give at least %(min_length)s item", "Give at least %(min_length)s items", "min_length"
    ),
    "too_long": ngettext_lazy(
        "Give at most %(max_length)s item", "Give at most %(max_length)s items", "max_length"
    ),
    "literal_error": _CHOICE,
    "enum": _CHOICE,
    "bool_type": _TRUE_FALSE,
    "bool_parsing": _TRUE_FALSE,
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "uuid_version": _UUID,
    "datetime_type": _MOMENT,
    "datetime_parsing": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "timezone_aware": _MOMENT,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "list_type": _("Give a list"),
    "url_type": _URL,
    "url_parsing": _URL,
    "string_nul": _("Text must not contain NUL characters (\\u0000)"),
}


def localized(errors: list[dict]) -> list[dict]:
    """``errors`` (pydantic's or django-ninja's) with each message in the active language. An
    error of a kind not listed keeps its message, and so does one whose figures are not numbers
    (a date bound: no field of ours has one). ``value_error`` is the message of a check of ours
    (:class:`FieldErrors`, translated already), or pydantic's "Value error, <message>"."""
    out = []
    for error in errors:
        kind, ctx = error.get("type"), error.get("ctx") or {}
        template = MESSAGES.get(kind)
        if template is not None:
            values = {key: value for key, value in ctx.items() if isinstance(value, int | float)}
            if "expected" in ctx:  # "'a', 'b' or 'c'": the choices, joined without English
                values["expected"] = str(ctx["expected"]).replace("' or '", "', '")
            # A figure the template names is missing: pydantic's message stays.
            with suppress(KeyError, TypeError, ValueError):
                error = {**error, "msg": str(template % values)}
        elif kind == "value_error" and "error" in ctx:
            error = {**error, "msg": str(ctx["error"])}
        out.append(error)
    return out


def localized_validation_error(request, exc: ValidationError, api):
    """django-ninja's 422 for an invalid request, its messages in the request's language."""
    return api.create_response(request, {"detail": localized(exc.errors)}, status=422)


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
        message = str(MESSAGES["string_nul"])
        return [{"type": "string_nul", "loc": loc, "msg": message} for loc in found]
