"""The API's JSON: orjson instead of the standard library, with the same output.

On a Polda's coverage (1,100 tallies, benchmarks/suite.py) ``json.dumps`` with django-ninja's
encoder took 1.9 ms of the answer's 17, orjson 0.2 ms. What orjson writes natively (strings,
numbers, lists, dicts, UUIDs) it writes as ``json`` would; times, dates, decimals, lazy
translations and the rest go to django-ninja's encoder, so a moment still reads
``2024-01-23T02:00:00Z`` (milliseconds, a ``Z`` for UTC), as Django writes it. Two differences,
both still JSON: text is UTF-8 rather than ``\\u`` escapes, and a float is written in its shortest
form (``1e-7``, not ``1e-07``).
"""

from datetime import datetime
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_encoder = NinjaJSONEncoder()


def _default(value: Any) -> Any:
    """What orjson leaves to Python. A moment (a page of 100 concerns holds about 300) is
    written here as Django's encoder writes it, without the encoder's checks of every other type
    first: 1.1 against 1.6 µs each, 3 % of the instructions of such a request (callgrind)."""
    if type(value) is datetime:
        text = value.isoformat()
        if value.microsecond:  # milliseconds
            text = text[:23] + text[26:]
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return _encoder.default(value)


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


def answer(data: Any, status: int = 200) -> HttpResponse:
    """``data`` as the API's JSON answer, without django-ninja checking it against the
    operation's response schema (which stays what the API documents).

    For large answers that the view builds itself as plain dicts of known types, where the
    check cost a tenth of the request (a Polda's coverage: about 1,100 tallies validated, then
    dumped back to dicts: 0.8 ms). The tests check such answers against their schema instead:
    schemathesis' response check (``core/tests/test_api_fuzz.py``), and key for key where the
    schema would let an extra key through (``patrols/tests/test_plans_api.py``)."""
    content_type = f"{ORJSONRenderer.media_type}; charset={ORJSONRenderer.charset}"
    return HttpResponse(dumps(data), status=status, content_type=content_type)
