"""``/app/exports/<kind>.<fmt>``: what the dashboard's filter shows, as CSV, XLSX or GeoJSON."""

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern, open_concern
from patroli.dashboard.exports import write_xlsx
from patroli.elections.models import RiskScore
from patroli.elections.services import record_incident
from patroli.patrols.services import ConcernData, DialogueData, record_visit
from patroli.regions.models import Region
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
PERIOD = {"from": "2024-01-08", "to": "2024-01-14"}
KINDS = ("visits", "concerns", "incidents", "sites")
FORMATS = ("csv", "xlsx", "geojson")
HEADERS = {
    "visits": "id started_at ended_at site site_kind village_code village unit kind attendees "
    "response concerns far_from_site lat lon",
    "concerns": "tracking_code created_at status category source village_code village site unit "
    "due_at overdue resolved_at rating lat lon",
    "incidents": "id occurred_at kind severity status site village_code village unit lat lon "
    "description",
    "sites": "id name kind tps_number voters village_code village unit lat lng last_visit_at "
    "risk_score risk_level",
}
KEY = {"visits": "id", "concerns": "tracking_code", "incidents": "id", "sites": "id"}
REPORTER = ("Pelapor Rahasia", "0811000111", "pelapor@example.id")


def wita(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WITA)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fetch(client, kind, fmt, /, **params):
    return client.get(f"/app/exports/{kind}.{fmt}", {**PERIOD, **params})


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def parse(response, fmt) -> tuple[list[str], list[dict]]:
    """(header, rows as dicts) of an export, read with the ordinary parser of each format."""
    assert response.status_code == 200, body(response)
    data = body(response)
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        header, *rows = list(reader)
        return header, [dict(zip(header, row, strict=True)) for row in rows]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        header, *rows = list(sheet.values)
        return list(header), [dict(zip(header, row, strict=True)) for row in rows]
    collection = json.loads(data)
    assert collection["type"] == "FeatureCollection"
    rows = []
    for feature in collection["features"]:
        assert feature["geometry"]["type"] == "Point"
        rows.append(feature["properties"])
    header = list(rows[0]) if rows else []
    return header, rows


def keys(rows, kind) -> list[str]:
    return [str(row[KEY[kind]]) for row in rows]


def concern(*, village="64.09.04.2004", category="hoaks", created, **fields):
    record = open_concern(
        source=fields.pop("source", "web"),
        category=Category.objects.get(code=category),
        description="Pesan berantai tentang TPS.",
        village=Region.objects.get(code=village),
        reporter_name=REPORTER[0],
        reporter_phone=REPORTER[1],
        reporter_email=REPORTER[2],
        **fields,
    )
    Concern.objects.filter(pk=record.pk).update(created_at=created)
    return record


def incident(*, recorded_by, village=None, **fields):
    site = fields.get("site")
    record, _created = record_incident(
        recorded_by=recorded_by,
        village=village or site.village,
        **fields,
    )
    return record


@pytest.fixture
def data(world):
    """Records of Polsek Sepaku in and around the week of 8-14 January 2024, and of Penajam."""
    hoaks = Category.objects.get(code="hoaks")
    visits = {
        "bumi": record_visit(
            recorded_by=world.officer,
            site=world.pps_bumi,
            started_at=wita(2024, 1, 10, 9),
            ended_at=wita(2024, 1, 10, 10, 30),
            lat=-0.9240,
            lon=116.5832,
            dialogue=DialogueData(participants=[], attendees=12, response="positive"),
            concerns=[ConcernData(hoaks, "Kabar bohong."), ConcernData(hoaks, "Kabar lain.")],
        )[0],
        # No check-in point: the map puts it at its site.
        "no_gps": record_visit(
            recorded_by=world.officer, site=world.pps_bumi, started_at=wita(2024, 1, 11, 8)
        )[0],
        # Neither a check-in point nor a located site: only in CSV and XLSX.
        "tps": record_visit(
            recorded_by=world.officer,
            site=world.tps_bumi,
            started_at=wita(2024, 1, 12, 14),
            kind="routine",
        )[0],
        "later": record_visit(
            recorded_by=world.officer, site=world.pps_bumi, started_at=wita(2024, 1, 20, 9)
        )[0],
        "penajam": record_visit(
            recorded_by=world.other_officer,
            site=world.pps_penajam,
            started_at=wita(2024, 1, 10, 9),
        )[0],
    }
    concerns = {
        "hoax": concern(
            site=world.pps_bumi,
            lat=-0.9241,
            lon=116.5830,
            created=wita(2024, 1, 9, 10),
        ),
        "money": concern(
            village="64.09.04.1005", category="politik-uang", created=wita(2024, 1, 11, 16)
        ),
        "old": concern(created=wita(2023, 12, 1, 9)),
        "penajam": concern(village="64.09.01.1003", created=wita(2024, 1, 10, 9)),
    }
    Concern.objects.filter(pk=concerns["hoax"].pk).update(due_at=wita(2024, 1, 12, 17))
    move_concern(concern=concerns["money"], actor=world.kapolsek, to_status="verified")
    incidents = {
        "clash": incident(
            recorded_by=world.officer,
            kind="clash",
            severity="red",
            occurred_at=wita(2024, 1, 13, 20),
            site=world.pps_bumi,
            description="Bentrok pendukung di depan kantor PPS.",
        ),
        "hoax": incident(
            recorded_by=world.officer,
            kind="hoax",
            severity="green",
            occurred_at=wita(2024, 1, 8, 7),
            village=Region.objects.get(code="64.09.04.1005"),
            description="=SUM(1,1) dikirim di grup WA",
        ),
        "penajam": incident(
            recorded_by=world.other_officer,
            kind="theft",
            severity="yellow",
            occurred_at=wita(2024, 1, 10, 2),
            site=world.pps_penajam,
        ),
    }
    RiskScore.objects.create(
        site=world.pps_bumi,
        unit=world.sepaku,
        score=72.5,
        level="high",
        computed_at=wita(2024, 1, 14, 0),
    )
    return visits, concerns, incidents


def expected(world, data, kind, fmt="csv") -> list[str]:
    """What Polsek Sepaku's officer gets for the week, in order; GeoJSON only what has a point."""
    visits, concerns, incidents = data
    by_kind = {
        "visits": [visits["bumi"], visits["no_gps"], visits["tps"]],
        "concerns": [concerns["hoax"], concerns["money"]],
        "incidents": [incidents["hoax"], incidents["clash"]],
        "sites": [world.pps_bumi, world.tps_bumi],
    }
    mapless = {visits["tps"], concerns["money"], incidents["hoax"], world.tps_bumi}
    records = by_kind[kind]
    if fmt == "geojson":
        records = [r for r in records if r not in mapless]
    return [str(getattr(r, KEY[kind])) for r in records]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_and_format_holds_exactly_the_unit_s_rows(world, data, kind, fmt):
    response = fetch(logged_in(world.officer), kind, fmt)
    assert response["Content-Type"].startswith(
        {"csv": "text/csv", "xlsx": "application/vnd.openxml", "geojson": "application/geo+json"}[
            fmt
        ]
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="{kind}-polsek-sepaku-2024-01-08-2024-01-14.{fmt}"'
    )
    header, rows = parse(response, fmt)
    assert header == HEADERS[kind].split()
    assert keys(rows, kind) == expected(world, data, kind, fmt)


def test_csv_values_are_machine_readable(world, data):
    visits, concerns, incidents = data
    client = logged_in(world.officer)
    _h, rows = parse(fetch(client, "visits", "csv"), "csv")
    bumi, no_gps, tps = rows
    assert bumi == {
        "id": str(visits["bumi"].pk),
        "started_at": "2024-01-10T09:00:00+08:00",
        "ended_at": "2024-01-10T10:30:00+08:00",
        "site": "Kantor PPS Desa Bumi Harapan",
        "site_kind": "pps_office",
        "village_code": "64.09.04.2004",
        "village": "Bumi Harapan",
        "unit": "Polsek Sepaku",
        "kind": "dialogic",
        "attendees": "12",
        "response": "positive",
        "concerns": "2",
        "far_from_site": "false",
        "lat": "-0.924",
        "lon": "116.5832",
    }
    assert (no_gps["lat"], no_gps["lon"], no_gps["concerns"]) == ("-0.923927", "116.583091", "0")
    assert (tps["lat"], tps["lon"], tps["attendees"], tps["kind"]) == ("", "", "", "routine")

    _h, rows = parse(fetch(client, "concerns", "csv"), "csv")
    hoax, money = rows
    assert hoax["created_at"] == "2024-01-09T10:00:00+08:00"
    assert (hoax["status"], hoax["category"], hoax["site"]) == ("received", "hoaks", bumi["site"])
    assert (hoax["due_at"], hoax["overdue"]) == ("2024-01-12T17:00:00+08:00", "true")
    assert (money["status"], money["village"], money["lat"]) == ("verified", "Sepaku", "")

    _h, rows = parse(fetch(client, "incidents", "csv"), "csv")
    hoax, clash = rows
    # A text that a spreadsheet would run as a formula is quoted.
    assert hoax["description"] == "'=SUM(1,1) dikirim di grup WA"
    assert (clash["severity"], clash["lat"], clash["lon"]) == ("red", "-0.923927", "116.583091")

    _h, rows = parse(fetch(client, "sites", "csv"), "csv")
    pps, tps_site = rows
    assert (pps["risk_score"], pps["risk_level"]) == ("72.5", "high")
    # The last visit ever, also after the period.
    assert pps["last_visit_at"] == "2024-01-20T09:00:00+08:00"
    assert (tps_site["tps_number"], tps_site["voters"], tps_site["risk_level"]) == ("1", "326", "")


def test_xlsx_and_geojson_keep_types(world, data):
    client = logged_in(world.officer)
    _h, rows = parse(fetch(client, "visits", "xlsx"), "xlsx")
    assert rows[0]["started_at"] == dt.datetime(2024, 1, 10, 9)  # local wall-clock time
    assert (rows[0]["attendees"], rows[0]["far_from_site"]) == (12, False)
    sheet = load_workbook(io.BytesIO(body(fetch(client, "incidents", "xlsx")))).active
    description = sheet.cell(row=2, column=12)
    assert (description.value, description.data_type) == ("=SUM(1,1) dikirim di grup WA", "s")

    data = json.loads(body(fetch(client, "visits", "geojson")))
    bumi, no_gps = data["features"]
    assert bumi["geometry"]["coordinates"] == [116.5832, -0.924]
    assert no_gps["geometry"]["coordinates"] == [116.583091, -0.923927]  # the site's point
    assert bumi["properties"]["started_at"] == "2024-01-10T09:00:00+08:00"
    assert (bumi["properties"]["attendees"], bumi["properties"]["far_from_site"]) == (12, False)
    clash = json.loads(body(fetch(client, "incidents", "geojson")))["features"][0]
    assert clash["geometry"]["coordinates"] == [116.583091, -0.923927]


@pytest.mark.parametrize(
    ("kind", "params", "wanted"),
    [
        ("visits", {"date": "2024-01-10"}, ["bumi"]),
        ("visits", {"from": "2024-01-11", "to": "2024-01-20"}, ["no_gps", "tps", "later"]),
        ("visits", {"village": "64.09.04.2004"}, ["bumi", "no_gps", "tps"]),
        ("visits", {"village": "64.09.04.1005"}, []),
        ("concerns", {"village": "64.09.04.2004"}, ["hoax"]),
        ("concerns", {"village": "64.09.04"}, ["hoax", "money"]),
        ("concerns", {"status": "verified"}, ["money"]),
        ("concerns", {"status": ["received", "verified"]}, ["hoax", "money"]),
        ("concerns", {"category": "hoaks"}, ["hoax"]),
        ("concerns", {"from": "2023-11-01", "to": "2024-01-10"}, ["old", "hoax"]),
        ("incidents", {"severity": "red"}, ["clash"]),
        ("incidents", {"village": "64.09.04.2004"}, ["clash"]),
        ("incidents", {"kind": "hoax"}, ["hoax"]),
        ("sites", {"kind": "tps"}, ["tps"]),
    ],
)
def test_filters_are_respected(world, data, kind, params, wanted):
    visits, concerns, incidents = data
    records = {
        "visits": visits,
        "concerns": concerns,
        "incidents": incidents,
        "sites": {"tps": world.tps_bumi, "pps": world.pps_bumi},
    }[kind]
    _h, rows = parse(fetch(logged_in(world.officer), kind, "csv", **params), "csv")
    assert keys(rows, kind) == [str(getattr(records[name], KEY[kind])) for name in wanted]


def test_another_polsek_never_appears_and_its_unit_answers_404(world, data):
    officer = logged_in(world.officer)
    for kind in KINDS:
        for fmt in FORMATS:
            text = body(fetch(officer, kind, fmt)).decode("latin-1")
            assert "Penajam" not in text and "Petung" not in text, (kind, fmt)
            assert fetch(officer, kind, fmt, unit="polsek-penajam").status_code == 404
            assert fetch(logged_in(world.no_unit), kind, fmt).status_code == 404
    commander = logged_in(world.commander)
    _h, rows = parse(fetch(commander, "incidents", "csv"), "csv")
    assert {row["unit"] for row in rows} == {"Polsek Sepaku", "Polsek Penajam"}
    response = fetch(commander, "incidents", "csv", unit="polsek-sepaku")
    assert response["Content-Disposition"].endswith('-polsek-sepaku-2024-01-08-2024-01-14.csv"')
    _h, rows = parse(response, "csv")
    assert keys(rows, "incidents") == expected(world, data, "incidents")


def test_anonymous_is_sent_to_log_in(world):
    response = Client().get("/app/exports/visits.csv?date=2024-01-10")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL) + "?next=")


def test_a_bearer_token_works_and_a_wrong_one_answers_401(world, data, api):
    _h, rows = parse(fetch(api(world.officer), "concerns", "csv"), "csv")
    assert keys(rows, "concerns") == expected(world, data, "concerns")
    wrong = Client(headers={"Authorization": "Bearer not-a-token"})
    response = fetch(wrong, "concerns", "csv")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_unknown_kind_or_format_answers_404(world):
    client = logged_in(world.officer)
    assert client.get("/app/exports/reporters.csv").status_code == 404
    assert client.get("/app/exports/visits.pdf").status_code == 404


def test_bad_filters_answer_400_naming_each_parameter(world):
    client = logged_in(world.officer)
    with translation.override("en"):
        response = client.get(
            "/app/exports/visits.csv",
            {"from": "2024-13-01", "severity": "purple"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "from: Enter a date as YYYY-MM-DD" in text
        assert "severity: Unknown severity: purple." in text
        response = client.get(
            "/app/exports/incidents.geojson",
            {"date": "yesterday"},
            headers={"Accept-Language": "en", "Accept": "application/json"},
        )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date"]
    assert response.json()["errors"]["date"].startswith("Enter a date as YYYY-MM-DD")


def test_reporter_contact_details_never_appear(world, data):
    commander = logged_in(world.commander)
    for kind in KINDS:
        for fmt in FORMATS:
            response = fetch(commander, kind, fmt, **{"from": "2023-11-01"})
            header, rows = parse(response, fmt)
            text = json.dumps([header, rows], default=str)
            assert not any(detail in text for detail in REPORTER), (kind, fmt)
            assert not any(key.startswith("reporter") for key in header)


def test_a_control_character_does_not_break_a_sheet():
    sheet = load_workbook(write_xlsx(["text"], [["bel\x07 tab\tok"]], sheet_title="t")).active
    assert list(sheet.values) == [("text",), ("bel tab\tok",)]


def test_a_sheet_is_cut_at_its_limit_and_says_so():
    rows = [[i, f"row {i}"] for i in range(5)]
    sheet = load_workbook(write_xlsx(["n", "text"], rows, sheet_title="t", limit=3)).active
    values = list(sheet.values)
    assert values[:3] == [("n", "text"), (0, "row 0"), (1, "row 1")]
    assert len(values) == 4 and "2" in values[3][0]  # the last row says where it was cut
    sheet = load_workbook(write_xlsx(["n", "text"], rows[:3], sheet_title="t", limit=3)).active
    assert list(sheet.values)[1:] == [(0, "row 0"), (1, "row 1"), (2, "row 2")]


def grow(world, kind: str, count: int, offset: int) -> None:
    """``count`` more records of ``kind`` in Polsek Sepaku, within the week."""
    hoaks = Category.objects.get(code="hoaks")
    for i in range(offset, offset + count):
        moment = wita(2024, 1, 8, 6) + dt.timedelta(minutes=37 * i)
        if kind == "visits":
            record_visit(
                recorded_by=world.officer,
                site=world.pps_bumi,
                started_at=moment,
                lat=-0.924,
                lon=116.583,
                dialogue=DialogueData(participants=[], attendees=i),
                concerns=[ConcernData(hoaks, f"Aduan {i}.")],
            )
        elif kind == "concerns":
            concern(site=world.pps_bumi, lat=-0.92, lon=116.58, created=moment)
        elif kind == "incidents":
            incident(
                recorded_by=world.officer,
                kind="fight",
                severity="yellow",
                occurred_at=moment,
                site=world.pps_bumi,
            )
        else:
            site = Site.objects.create(
                name=f"TPS {i + 100:03d} Desa Bumi Harapan",
                kind=Site.Kind.TPS,
                village_id="64.09.04.2004",
                unit=world.sepaku,
                tps_number=i + 100,
                lat=-0.92,
                lng=116.58,
            )
            record_visit(recorded_by=world.officer, site=site, started_at=moment)
            RiskScore.objects.create(
                site=site, unit=world.sepaku, score=i, level="low", computed_at=moment
            )


@pytest.mark.parametrize("kind", KINDS)
def test_queries_do_not_grow_with_rows(world, kind):
    client = logged_in(world.officer)

    def queries(fmt) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            _h, rows = parse(fetch(client, kind, fmt), fmt)
        return len(captured), len(rows)

    grow(world, kind, 3, 0)
    few = {fmt: queries(fmt) for fmt in FORMATS}
    grow(world, kind, 27, 3)
    many = {fmt: queries(fmt) for fmt in FORMATS}
    for fmt in FORMATS:
        assert many[fmt][1] == few[fmt][1] + 27, fmt
        assert many[fmt][0] == few[fmt][0] <= 4, fmt


def test_the_url_is_named(world):
    from django.urls import reverse

    url = reverse("dashboard:export", kwargs={"kind": "sites", "fmt": "geojson"})
    assert url == "/app/exports/sites.geojson"
