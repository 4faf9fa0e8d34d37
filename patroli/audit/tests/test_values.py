"""What an event's before and after hold: any value as plain JSON, secrets and residents' contact
details masked."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from patroli.audit.services import PERSONAL, REDACTED, _scrub, jsonable

pytestmark = pytest.mark.django_db


def test_every_kind_of_value_becomes_plain_json(world):
    moment = dt.datetime(2024, 1, 23, 2, 0, tzinfo=dt.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "text": "a\x00b",
        "safe": mark_safe("<b>x</b>"),
        "lazy": gettext_lazy("visit recorded"),
        "none": None,
        "yes": True,
        "number": 7,
        "ratio": 2.5,
        "infinite": float("inf"),
        "moment": moment,
        "day": moment.date(),
        "time": dt.time(10, 30),
        "money": decimal.Decimal("1.50"),
        "key": key,
        "site": world.pps_bumi,
        "pair": (1, "a"),
        "list": [moment, {"inner": key}],
        "set": {3, 1, 2},
        "frozen": frozenset({"b", "a"}),
        1: "an int key",
    }
    assert jsonable(value) == {
        "text": "ab",
        "safe": "<b>x</b>",
        "lazy": "kunjungan dicatat",  # in the language of the moment: Indonesian
        "none": None,
        "yes": True,
        "number": 7,
        "ratio": 2.5,
        "infinite": "inf",
        "moment": "2024-01-23T02:00:00+00:00",
        "day": "2024-01-23",
        "time": "10:30:00",
        "money": "1.50",
        "key": str(key),
        "site": world.pps_bumi.pk,
        "pair": [1, "a"],
        "list": ["2024-01-23T02:00:00+00:00", {"inner": str(key)}],
        "set": [1, 2, 3],
        "frozen": ["a", "b"],
        "1": "an int key",
    }
    assert type(jsonable(value)["safe"]) is str


def test_secrets_and_contact_details_are_masked():
    data = {"Password": "x", "api_key_hash": "y", "client_secret": "z", "name": "Budi"}
    assert _scrub(data, "units.officer") == {
        "Password": REDACTED,
        "api_key_hash": REDACTED,
        "client_secret": REDACTED,
        "name": "Budi",
    }
    assert _scrub({"reporter_phone": "0812", "status": "new"}, "concerns.concern") == {
        "reporter_phone": PERSONAL,
        "status": "new",
    }
    assert _scrub(None, "x") == {}
    assert _scrub([1], "x") == {"value": [1]}
