"""The API writes its JSON with orjson (core/api_json.py) and says the same as the standard
library with django-ninja's encoder did: the same values, times in Django's form."""

import datetime as dt
import json
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from patroli.core.api_json import dumps

WITA = ZoneInfo("Asia/Makassar")


class Point(BaseModel):
    lat: float
    lng: float


SAMPLE = {
    "moment": dt.datetime(2024, 1, 23, 2, 0, tzinfo=dt.UTC),
    "precise": dt.datetime(2024, 1, 23, 10, 15, 30, 123456, tzinfo=WITA),
    "naive": dt.datetime(2024, 1, 23, 10, 15),
    "day": dt.date(2024, 1, 23),
    "time": dt.time(9, 30, 15, 500000),
    "length": dt.timedelta(days=1, hours=2),
    "money": Decimal("12.50"),
    "id": uuid.UUID("3f0c6f0e-8a1b-4c1e-9d7a-1c2b3d4e5f60"),
    "label": gettext_lazy("patrol"),
    "point": Point(lat=-0.95, lng=116.72),
    "per_unit": {7: "Polsek Sepaku", 8: None},
    "numbers": [0, -3, 2**53, 0.1, 1.5e-7, 12345.678, True, False, None],
    "text": "Kantor PPS Desa Bumi Harapan — “jaga kondusivitas” ✓",
}


def test_the_same_values_as_the_standard_library():
    ours = json.loads(dumps(SAMPLE))
    theirs = json.loads(json.dumps(SAMPLE, cls=NinjaJSONEncoder))
    assert ours == theirs
    # Django's forms of time, not orjson's own (which keeps microseconds and writes +00:00).
    assert ours["moment"] == "2024-01-23T02:00:00Z"
    assert ours["precise"] == "2024-01-23T10:15:30.123+08:00"
    assert ours["time"] == "09:30:15.500"
    assert ours["money"] == "12.50"
    assert ours["per_unit"] == {"7": "Polsek Sepaku", "8": None}


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 1, 23, 2, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 23, 2, 0, 0, 999999, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 23, 2, 0, 0, 1000, tzinfo=dt.timezone(dt.timedelta(0))),
        dt.datetime(2024, 1, 23, 10, 15, 30, 5, tzinfo=WITA),
        dt.datetime(
            2024, 1, 23, 10, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))
        ),
        dt.datetime(2024, 1, 23, 10, 15, 30, 120000),
        dt.datetime(1, 1, 1, 0, 0),
    ],
    ids=str,
)
def test_a_moment_is_written_as_django_writes_it(moment):
    assert dumps(moment) == json.dumps(moment, cls=NinjaJSONEncoder).encode()


def test_text_is_utf8_not_escaped():
    assert "“jaga kondusivitas” ✓".encode() in dumps({"text": SAMPLE["text"]})


def test_what_neither_can_write_is_an_error():
    with pytest.raises(TypeError):
        dumps({"unknown": object()})


@pytest.mark.django_db
def test_an_api_answer_goes_through_it(world, api):
    as_of = "2024-01-23T10:15:30.123456+08:00"
    response = api(world.officer).get("/api/v1/coverage", {"as_of": as_of})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # orjson writes no spaces between items; the standard library wrote ", " and ": ".
    assert b'{"unit":' in response.content
    assert b'", "' not in response.content
    # The moment in Django's form: milliseconds, UTC written Z.
    assert response.json()["as_of"] == "2024-01-23T02:15:30.123Z"
