"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML, keys, filters, privacy."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from patroli.concerns import open311
from patroli.concerns.models import Category, Concern, Open311Key
from patroli.concerns.services import move_concern, open_concern
from patroli.regions.models import Region

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
FORMATS = ["json", "xml"]

# Field names from the GeoReport v2 specification, in its order.
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]

# The reporter's details: stored, never answered.
REPORTER = {
    "reporter_name": "Sulastri Wulandari",
    "reporter_phone": "081398765432",
    "reporter_email": "sulastri.w@contoh.id",
}
SECRETS = [
    "Sulastri",
    "Wulandari",
    "081398765432",
    "sulastri.w@contoh.id",
    "perangkat-77aa",
    "akun-5150",
]

BUMI_HARAPAN = "64.09.04.2004"  # desa in Kecamatan Sepaku
PETUNG = "64.09.01.1003"  # kelurahan in Kecamatan Penajam


# Helpers --------------------------------------------------------------------------------------


def parse(response, fmt):
    """The body: JSON data, or the XML root element (after checking the content type)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def xml_records(root, root_tag, item_tag):
    """The items of an XML list as dicts of their children's text, checking element names."""
    assert root.tag == root_tag
    records = []
    for item in root:
        assert item.tag == item_tag
        records.append({child.tag: child.text or "" for child in item})
    return records


def as_records(response, fmt, root_tag="service_requests", item_tag="request"):
    """A list answer as a list of dicts, whatever the format; XML values stay strings."""
    data = parse(response, fmt)
    if fmt == "json":
        assert isinstance(data, list)
        return data
    return xml_records(data, root_tag, item_tag)


def xml_field_names(response, root_tag, item_tag):
    root = parse(response, "xml")
    assert root.tag == root_tag
    return [[child.tag for child in item] for item in root]


def errors_of(response, fmt):
    """[(code, description)] of an error answer, checking the spec's shape."""
    data = parse(response, fmt)
    if fmt == "json":
        assert all(set(e) == {"code", "description"} for e in data)
        pairs = [(e["code"], e["description"]) for e in data]
    else:
        assert data.tag == "errors"
        assert all(e.tag == "error" and [c.tag for c in e] == ["code", "description"] for e in data)
        pairs = [(int(e.findtext("code")), e.findtext("description")) for e in data]
    assert pairs
    assert all(code == response.status_code for code, _ in pairs)
    return pairs


def descriptions(response, fmt) -> str:
    return " | ".join(text for _, text in errors_of(response, fmt))


def village(code):
    return Region.objects.get(code=code)


def make_concern(code=BUMI_HARAPAN, category="hoaks", days_ago=None, **extra):
    fields = {
        "source": Concern.Source.WEB,
        "category": Category.objects.get(code=category),
        "description": "Pesan berantai keliru soal lokasi TPS.",
        "village": village(code),
        **REPORTER,
        **extra,
    }
    concern = open_concern(**fields)
    if days_ago is not None:
        Concern.objects.filter(pk=concern.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        concern.refresh_from_db()
    return concern


@pytest.fixture
def api_key(world):
    _, raw = Open311Key.issue("Aplikasi Lapor Desa")
    return raw


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def good_post(api_key, **extra):
    return {
        "api_key": api_key,
        "service_code": "jalan-rusak",
        "attribute[village]": BUMI_HARAPAN,
        "address_string": "Jl. Poros Sepaku, RT 03",
        "description": "Jembatan kayu di RT 03 patah, motor tidak bisa lewat.",
        "first_name": "Sulastri",
        "last_name": "Wulandari",
        "phone": "081398765432",
        "email": "sulastri.w@contoh.id",
        "device_id": "perangkat-77aa",
        "account_id": "akun-5150",
        **extra,
    }


def listed(client, fmt="json", **params):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in as_records(response, fmt)]


# Discovery and services -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "json":
        assert list(data) == DISCOVERY_FIELDS
        [endpoint] = data["endpoints"]
        assert list(endpoint) == ENDPOINT_FIELDS
        formats = endpoint["formats"]
        assert data["changeset"] and data["contact"] and data["key_service"]
    else:
        assert data.tag == "discovery"
        assert [c.tag for c in data] == DISCOVERY_FIELDS
        [element] = data.find("endpoints")
        assert element.tag == "endpoint"
        assert [c.tag for c in element] == ENDPOINT_FIELDS
        formats = [f.text for f in element.find("formats")]
        assert [f.tag for f in element.find("formats")] == ["format", "format"]
        endpoint = {c.tag: c.text for c in element}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert formats == ["text/xml", "application/json"]


def test_discovery_url_follows_the_host(client):
    response = client.get(f"{BASE}/discovery.json", headers={"host": "127.0.0.1:8000"})
    assert response.json()["endpoints"][0]["url"] == "http://127.0.0.1:8000/open311/v2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_active_categories(client, fmt):
    Category.objects.filter(code="narkoba").update(active=False)
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    services = as_records(response, fmt, "services", "service")
    expected = set(Category.objects.filter(active=True).values_list("code", flat=True))
    assert {s["service_code"] for s in services} == expected
    assert "narkoba" not in expected and len(expected) >= 10
    road = next(s for s in services if s["service_code"] == "jalan-rusak")
    assert road["service_name"] == "Jalan atau jembatan rusak"
    assert road["group"] == "Instansi lain"
    assert road["type"] == "realtime"
    assert road["description"]
    if fmt == "json":
        assert all(list(s) == SERVICE_FIELDS for s in services)
        assert road["metadata"] is False
    else:
        assert all(
            names == SERVICE_FIELDS for names in xml_field_names(response, "services", "service")
        )
        assert road["metadata"] == "false"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, fmt):
    response = client.get(f"{BASE}/services/jalan-rusak.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "json":
        assert data == {"service_code": "jalan-rusak", "attributes": []}
    else:
        assert data.tag == "service_definition"
        assert [c.tag for c in data] == ["service_code", "attributes"]
        assert data.findtext("service_code") == "jalan-rusak"
        assert list(data.find("attributes")) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_or_inactive_service_is_404(client, fmt):
    Category.objects.filter(code="narkoba").update(active=False)
    for code in ("tidak-ada", "narkoba"):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        assert code in descriptions(response, fmt)


@pytest.mark.parametrize(
    "path",
    [
        "discovery.csv",
        "services.html",
        "services/hoaks.yaml",
        "requests.txt",
        "requests/ACDEFGHJ.csv",
        "tokens/ACDEFGHJ.atom",
    ],
)
def test_unknown_format_is_404(client, path):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    assert errors_of(response, "json")[0][0] == 404


def test_only_get_and_post(client):
    assert client.put(f"{BASE}/requests.json").status_code == 405
    assert client.post(f"{BASE}/services.json").status_code == 405


# Creating requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_concern_routed_to_the_polsek(client, world, api_key, fmt):
    response = post(client, fmt, **good_post(api_key, media_url="https://contoh.id/foto/1.jpg"))
    assert response.status_code == 201, response.content
    [answer] = as_records(response, fmt)
    if fmt == "json":
        assert list(answer) == CREATED_FIELDS
    else:
        assert xml_field_names(response, "service_requests", "request") == [CREATED_FIELDS]
    assert answer["service_notice"] == "" and answer["account_id"] == ""

    concern = Concern.objects.get()
    assert answer["service_request_id"] == concern.tracking_code
    assert concern.source == Concern.Source.OPEN311
    assert concern.category.code == "jalan-rusak"
    assert concern.village_id == BUMI_HARAPAN
    assert concern.unit == world.sepaku
    assert concern.status == Concern.Status.RECEIVED
    assert concern.description.startswith("Jembatan kayu")
    assert concern.address == "Jl. Poros Sepaku, RT 03"
    assert concern.reporter_name == "Sulastri Wulandari"
    assert concern.reporter_phone == "081398765432"
    assert concern.reporter_email == "sulastri.w@contoh.id"
    assert concern.attributes["device_id"] == "perangkat-77aa"
    assert concern.attributes["account_id"] == "akun-5150"
    assert concern.attributes["media_url"] == "https://contoh.id/foto/1.jpg"
    assert concern.attributes["open311_key"] == "Aplikasi Lapor Desa"
    assert concern.due_at is not None
    assert Open311Key.objects.get().last_used_at is not None


def test_post_needs_no_csrf_token(world, api_key):
    client = Client(enforce_csrf_checks=True)
    response = post(client, **good_post(api_key))
    assert response.status_code == 201, response.content


def test_post_with_address_id_as_village_code(client, world, api_key):
    data = good_post(api_key, address_id="6409011003")  # Petung, written without the dots
    del data["attribute[village]"], data["address_string"]
    assert post(client, **data).status_code == 201
    concern = Concern.objects.get()
    assert concern.village_id == PETUNG
    assert concern.unit == world.penajam


@pytest.mark.parametrize(
    "lat, lon, code, unit",
    [
        (-0.9245, 116.5840, BUMI_HARAPAN, "polsek-sepaku"),  # beside Bumi Harapan's centroid
        (-1.3390, 116.6385, PETUNG, "polsek-penajam"),  # beside Petung's centroid
        (-0.92, 116.50, BUMI_HARAPAN, "polsek-sepaku"),  # 9 km west: a wider box is searched
    ],
)
def test_post_with_lat_long_takes_the_nearest_village(client, world, api_key, lat, lon, code, unit):
    data = good_post(api_key, lat=str(lat), long=str(lon))
    del data["attribute[village]"], data["address_string"]
    response = post(client, **data)
    assert response.status_code == 201, response.content
    concern = Concern.objects.get()
    assert concern.village_id == code
    assert concern.unit.code == unit
    assert (concern.lat, concern.lon) == (lat, lon)
    assert concern.address == ""


def test_post_with_lat_long_far_from_every_village_is_refused(client, world, api_key):
    data = good_post(api_key, lat="-6.2", long="106.8")  # Jakarta
    del data["attribute[village]"], data["address_string"]
    response = post(client, **data)
    assert response.status_code == 400
    assert "outside" in descriptions(response, "json")
    assert not Concern.objects.exists()


def test_post_with_an_address_naming_a_village(client, world, api_key):
    data = good_post(api_key, address_string="Jl. Poros RT 05, Desa Bumi Harapan")
    del data["attribute[village]"]
    assert post(client, **data).status_code == 201
    assert Concern.objects.get().village_id == BUMI_HARAPAN

    data["address_string"] = "Petung"  # the village search itself
    assert post(client, **data).status_code == 201
    assert Concern.objects.filter(village_id=PETUNG).exists()


@pytest.mark.parametrize("address", ["Jl. Merdeka 17", "Sepaku Bumi Harapan Petung"])
def test_post_with_an_unclear_address_asks_for_address_id(client, world, api_key, address):
    data = good_post(api_key, address_string=address)
    del data["attribute[village]"]
    response = post(client, **data)
    assert response.status_code == 400
    assert "address_id" in descriptions(response, "json")
    assert not Concern.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "bukan-kunci"])
def test_post_without_a_valid_key_is_403_and_writes_nothing(client, world, fmt, key):
    data = good_post(key)
    if key is None:
        del data["api_key"]
    response = post(client, fmt, **data)
    assert response.status_code == 403
    assert "api_key" in descriptions(response, fmt)
    assert not Concern.objects.exists()


def test_a_deactivated_key_is_refused(client, world, api_key):
    Open311Key.objects.update(active=False)
    assert post(client, **good_post(api_key)).status_code == 403
    assert not Concern.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_service_code_is_400(client, world, api_key, fmt):
    data = good_post(api_key)
    del data["service_code"]
    response = post(client, fmt, **data)
    assert response.status_code == 400
    assert "service_code" in descriptions(response, fmt)
    assert not Concern.objects.exists()


def test_post_with_unknown_or_inactive_service_code_is_400(client, world, api_key):
    Category.objects.filter(code="narkoba").update(active=False)
    for code in ("tidak-ada", "narkoba"):
        response = post(client, **good_post(api_key, service_code=code))
        assert response.status_code == 400
        assert f"service_code '{code}'" in descriptions(response, "json")
    assert not Concern.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_over_4000_characters_is_400(client, world, api_key, fmt):
    response = post(client, fmt, **good_post(api_key, description="x" * 4001))
    assert response.status_code == 400
    assert "4000" in descriptions(response, fmt)
    assert not Concern.objects.exists()
    assert post(client, fmt, **good_post(api_key, description="x" * 4000)).status_code == 201


@pytest.mark.parametrize(
    "change, word",
    [
        ({"attribute[village]": None, "address_string": None}, "location"),
        ({"lat": "-0.92"}, "long"),
        ({"lat": "utara", "long": "116.5"}, "lat"),
        ({"lat": "-0.92", "long": "999"}, "long"),
        ({"lat": "nan", "long": "116.5"}, "lat"),
        ({"email": "bukan-email"}, "email"),
        ({"phone": "0" * 31}, "phone"),
        ({"first_name": "A" * 100, "last_name": "B" * 30}, "first_name"),
        ({"address_string": "x" * 256}, "address_string"),
        ({"attribute[village]": "64.09.04"}, "village code"),  # a district, not a village
        ({"attribute[village]": None, "address_id": "12345"}, "village code"),
    ],
)
def test_post_validation_errors_are_400(client, world, api_key, change, word):
    data = good_post(api_key)
    for name, value in change.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    response = post(client, **data)
    assert response.status_code == 400
    assert word in descriptions(response, "json")
    assert not Concern.objects.exists()


def test_several_validation_errors_are_listed_together(client, world, api_key):
    data = good_post(api_key, description="x" * 4001)
    del data["service_code"], data["attribute[village]"], data["address_string"]
    response = post(client, "xml", **data)
    assert response.status_code == 400
    assert len(errors_of(response, "xml")) == 3


def test_a_concern_error_is_400_with_its_message(client, regions):
    # Regions but no police unit at all: the service layer refuses the village.
    _, raw = Open311Key.issue("Klien")
    response = post(client, "xml", **good_post(raw))
    assert response.status_code == 400
    assert len(errors_of(response, "xml")) == 1
    assert not Concern.objects.exists()


def test_optional_fields_may_be_left_out(client, world, api_key):
    response = post(
        client, api_key=api_key, service_code="hoaks", address_id=BUMI_HARAPAN, description=""
    )
    assert response.status_code == 201, response.content
    concern = Concern.objects.get()
    assert concern.reporter_name == concern.reporter_email == concern.reporter_phone == ""
    assert concern.attributes == {"open311_key": "Aplikasi Lapor Desa"}


def test_extra_attributes_are_kept(client, world, api_key):
    data = good_post(api_key, **{"attribute[rt]": "03", "attribute[saksi][]": ["a", "b"]})
    assert post(client, **data).status_code == 201
    attributes = Concern.objects.get().attributes
    assert attributes["rt"] == "03"
    assert attributes["saksi"] == ["a", "b"]
    assert attributes["village"] == BUMI_HARAPAN


# Reading requests -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_list_fields(client, world, fmt):
    concern = make_concern(lat=-0.9241, lon=116.5832, address="Jl. Poros RT 03")
    plain = make_concern(code=PETUNG, category="kriminalitas")
    response = client.get(f"{BASE}/requests.{fmt}")
    assert response.status_code == 200
    records = as_records(response, fmt)
    if fmt == "json":
        assert all(list(r) == REQUEST_FIELDS for r in records)
    else:
        names = xml_field_names(response, "service_requests", "request")
        assert names == [REQUEST_FIELDS, REQUEST_FIELDS]
    assert [r["service_request_id"] for r in records] == [
        plain.tracking_code,
        concern.tracking_code,
    ]
    first = records[1]
    assert first["status"] == "open"
    assert first["status_notes"] == ""
    assert first["service_name"] == "Hoaks atau provokasi"
    assert first["service_code"] == "hoaks"
    assert first["description"] == concern.description
    assert first["agency_responsible"] == "Polsek Sepaku"
    assert first["service_notice"] == ""
    assert first["requested_datetime"].endswith("+08:00")  # Asia/Makassar
    assert first["requested_datetime"] == timezone.localtime(concern.created_at).isoformat(
        timespec="seconds"
    )
    assert first["updated_datetime"]
    assert first["expected_datetime"] == timezone.localtime(concern.due_at).isoformat(
        timespec="seconds"
    )
    assert first["address"] == "Jl. Poros RT 03"
    assert first["address_id"] == ""
    assert first["zipcode"] == "76147"
    assert first["media_url"] == ""
    second = records[0]
    assert second["address"] == "Petung"  # no address: the village's name
    assert second["zipcode"] == "76144"
    assert second["agency_responsible"] == "Polsek Penajam"
    assert second["lat"] == second["long"] == ""
    if fmt == "json":
        assert (first["lat"], first["long"]) == (-0.9241, 116.5832)
    else:
        assert (first["lat"], first["long"]) == ("-0.9241", "116.5832")


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_filter_and_notes(client, world, fmt):
    open_one = make_concern()
    done = make_concern()
    move_concern(concern=done, actor=world.officer, to_status="verified", note="Dicek di lokasi.")
    move_concern(
        concern=done, actor=world.officer, to_status="resolved", note="Sudah diklarifikasi."
    )
    move_concern(concern=open_one, actor=world.officer, to_status="verified", note="Terverifikasi.")
    move_concern(
        concern=open_one,
        actor=world.officer,
        to_status="in_progress",
        note="Catatan internal, bukan untuk publik.",
        public=False,
    )
    assert listed(client, fmt, status="open") == [open_one.tracking_code]
    assert listed(client, fmt, status="closed") == [done.tracking_code]
    assert set(listed(client, fmt, status="open,closed")) == {
        open_one.tracking_code,
        done.tracking_code,
    }
    records = {
        r["service_request_id"]: r for r in as_records(client.get(f"{BASE}/requests.{fmt}"), fmt)
    }
    assert records[done.tracking_code]["status"] == "closed"
    assert records[done.tracking_code]["status_notes"] == "Sudah diklarifikasi."
    assert records[done.tracking_code]["expected_datetime"] == ""
    # The latest public note, never an internal one.
    assert records[open_one.tracking_code]["status"] == "open"
    assert records[open_one.tracking_code]["status_notes"] == "Terverifikasi."
    assert b"Catatan internal" not in client.get(f"{BASE}/requests.{fmt}").content


def test_referred_request_names_the_agency(client, world):
    concern = make_concern(category="listrik")
    move_concern(concern=concern, actor=world.officer, to_status="referred", note="Ke PLN.")
    [record] = client.get(f"{BASE}/requests.json").json()
    assert record["agency_responsible"] == "PLN"
    assert record["status"] == "closed"


def test_service_code_filter(client, world):
    hoax = make_concern(category="hoaks")
    crime = make_concern(category="kriminalitas")
    make_concern(category="narkoba")
    assert listed(client, service_code="hoaks") == [hoax.tracking_code]
    assert set(listed(client, service_code="hoaks, kriminalitas")) == {
        hoax.tracking_code,
        crime.tracking_code,
    }
    assert listed(client, service_code="tidak-ada") == []


def test_date_filters(client, world):
    old = make_concern(days_ago=40)
    mid = make_concern(days_ago=20)
    new = make_concern(days_ago=1)
    day = timedelta(days=1)
    now = timezone.localtime()

    def iso(delta):
        return (now - delta).isoformat(timespec="seconds")

    assert listed(client, start_date=iso(30 * day)) == [new.tracking_code, mid.tracking_code]
    assert listed(client, end_date=iso(10 * day)) == [mid.tracking_code, old.tracking_code]
    assert listed(client, start_date=iso(30 * day), end_date=iso(10 * day)) == [mid.tracking_code]
    # A bare date as the end covers that whole day; a naive time is in the server's zone.
    mid_day = timezone.localtime(mid.created_at).date()
    assert listed(client, start_date=str(mid_day), end_date=str(mid_day)) == [mid.tracking_code]
    naive = timezone.localtime(mid.created_at).replace(tzinfo=None) - timedelta(minutes=1)
    assert listed(client, start_date=naive.isoformat(), end_date=iso(10 * day)) == [
        mid.tracking_code
    ]
    # An offset's "+" sent unencoded arrives as a space.
    raw = f"{BASE}/requests.json?start_date={iso(30 * day)}&end_date={iso(10 * day)}"
    response = client.get(raw)
    assert [r["service_request_id"] for r in response.json()] == [mid.tracking_code]
    utc = (timezone.now() - 30 * day).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(client, start_date=utc) == [new.tracking_code, mid.tracking_code]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params, word",
    [
        ({"start_date": "kemarin"}, "start_date"),
        ({"end_date": "2024-13-45"}, "end_date"),
        ({"end_date": "2024-02-30T10:00:00"}, "end_date"),
        ({"start_date": "2024-03-01", "end_date": "2024-02-01"}, "after"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"start_date": "0001-01-01T00:00:00+08:00"}, "start_date"),
        ({"status": "pending"}, "status"),
    ],
)
def test_bad_list_filters_are_400(client, world, fmt, params, word):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 400
    assert word in descriptions(response, fmt)


def test_default_window_is_90_days(client, world):
    recent = make_concern(days_ago=89)
    old = make_concern(days_ago=100)
    assert listed(client) == [recent.tracking_code]
    assert listed(client, "xml") == [recent.tracking_code]
    since = str(timezone.localdate() - timedelta(days=120))
    assert listed(client, start_date=since) == [recent.tracking_code, old.tracking_code]
    # With only an end date, the 90 days before it.
    end = timezone.localtime() - timedelta(days=95)
    assert listed(client, end_date=end.isoformat()) == [old.tracking_code]
    end = timezone.localtime() - timedelta(days=50)
    assert listed(client, end_date=end.isoformat()) == [recent.tracking_code, old.tracking_code]


def test_at_most_max_requests(client, world, monkeypatch):
    assert open311.MAX_REQUESTS == 1000
    monkeypatch.setattr(open311, "MAX_REQUESTS", 3)
    made = [make_concern() for _ in range(5)]
    Concern.objects.filter(pk__in=[c.pk for c in made]).update(created_at=timezone.now())
    newest_first = [c.tracking_code for c in reversed(made)]
    assert listed(client) == newest_first[:3]
    assert listed(client, "xml") == newest_first[:3]
    codes = ",".join(c.tracking_code for c in made)
    assert len(listed(client, service_request_id=codes)) == 3


def test_service_request_id_filter_ignores_the_others(client, world):
    a = make_concern(days_ago=200)
    b = make_concern()
    make_concern()
    codes = f"{a.tracking_code.lower()}, {b.display_code}"
    assert listed(client, service_request_id=codes, status="closed", service_code="x") == [
        b.tracking_code,
        a.tracking_code,
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_detail(client, world, fmt):
    concern = make_concern()
    for code in (concern.tracking_code, concern.display_code.lower()):
        response = client.get(f"{BASE}/requests/{code}.{fmt}")
        assert response.status_code == 200
        [record] = as_records(response, fmt)
        assert record["service_request_id"] == concern.tracking_code
        if fmt == "xml":
            assert xml_field_names(response, "service_requests", "request") == [REQUEST_FIELDS]
        else:
            assert list(record) == REQUEST_FIELDS
    response = client.get(f"{BASE}/requests/ACDEFGHJ.{fmt}")
    assert response.status_code == 404
    assert "ACDEFGHJ" in descriptions(response, fmt)


def test_an_old_request_is_still_found_by_its_id(client, world):
    concern = make_concern(days_ago=400)
    assert client.get(f"{BASE}/requests/{concern.tracking_code}.json").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_confidential_concerns_never_appear(client, world, fmt):
    public = make_concern()
    secret = make_concern(confidential=True, description="Laporan rahasia soal politik uang.")
    assert listed(client, fmt) == [public.tracking_code]
    assert listed(client, fmt, service_request_id=secret.tracking_code) == []
    for path in (f"requests/{secret.tracking_code}", f"tokens/{secret.tracking_code}"):
        response = client.get(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 404
    listing = client.get(f"{BASE}/requests.{fmt}").content
    assert secret.tracking_code.encode() not in listing
    assert b"rahasia" not in listing
    assert b"rahasia" not in client.get(f"{BASE}/requests/{secret.tracking_code}.{fmt}").content


@pytest.mark.parametrize("fmt", FORMATS)
def test_token(client, world, api_key, fmt):
    created = post(client, fmt, **good_post(api_key))
    [answer] = as_records(created, fmt)
    token = answer["service_request_id"]
    response = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert response.status_code == 200
    [record] = as_records(response, fmt)
    assert record == {"token": token, "service_request_id": token}
    response = client.get(f"{BASE}/tokens/ACDEFGHJ.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("anonymous", [False, True])
def test_reporter_details_never_appear(client, world, api_key, fmt, anonymous):
    created = post(client, fmt, **good_post(api_key))
    assert created.status_code == 201
    concern = Concern.objects.get()
    make_concern(anonymous=anonymous, lat=-0.92, lon=116.58)
    bodies = [created.content]
    for path in (
        "requests",
        f"requests/{concern.tracking_code}",
        f"tokens/{concern.tracking_code}",
        "services",
        "discovery",
    ):
        response = client.get(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 200
        bodies.append(response.content)
    body = b"\n".join(bodies)
    assert concern.tracking_code.encode() in body
    for secret in SECRETS:
        assert secret.encode() not in body, secret
    for field in ("reporter", "email", "phone", "first_name", "last_name", "device_id"):
        assert field.encode() not in body


def test_xml_survives_control_characters(client, world):
    concern = make_concern(description="Teks\x0bdengan\x1fkarakter & <kontrol>")
    response = client.get(f"{BASE}/requests/{concern.tracking_code}.xml")
    [record] = as_records(response, "xml")
    assert record["description"] == "Teksdengankarakter & <kontrol>"
    assert (
        client.get(f"{BASE}/requests/{concern.tracking_code}.json").json()[0]["description"]
        == concern.description
    )


def test_null_characters_are_refused(client, world, api_key):
    response = post(client, **good_post(api_key, description="Teks\x00dengan NUL"))
    assert response.status_code == 400
    assert "null" in descriptions(response, "json")
    assert not Concern.objects.exists()


# The command ----------------------------------------------------------------------------------


def test_create_open311_key_command(client, world):
    out = StringIO()
    call_command("create_open311_key", "Aplikasi Warga PPU", stdout=out)
    lines = out.getvalue().strip().splitlines()
    raw = lines[-1]
    assert len(lines) >= 2 and len(raw) >= 30 and " " not in raw
    key = Open311Key.objects.get()
    assert key.name == "Aplikasi Warga PPU"
    assert raw not in key.key_hash
    response = post(client, **good_post(raw))
    assert response.status_code == 201, response.content
    assert Concern.objects.get().attributes["open311_key"] == "Aplikasi Warga PPU"
