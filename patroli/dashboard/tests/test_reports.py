"""The daily report and the Anev: figures that agree with the database, the PDF and XLSX files,
the access gate of their URLs, and the command that e-mails them.

The scene: 23 January 2024 (WITA) in Polres Penajam Paser Utara. Polsek Sepaku visits the PPS
office of Bumi Harapan (a dialogue, two appeals, a money-politics concern) and its TPS (a hoax
incident), and hears a web report; Polsek Penajam visits its PPS office. Around it: visits just
before and just after the day, and some in the week before.
"""

import datetime as dt
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from conftest import PASSWORD, api_client, make_user
from patroli.concerns.models import Category, Concern
from patroli.concerns.services import open_concern
from patroli.dashboard.report_pdf import printable, render_pdf
from patroli.dashboard.report_xlsx import render_xlsx
from patroli.dashboard.reports import (
    LEFT_ALONE_ROWS,
    anev_report,
    daily_report,
    letterhead,
    period_start,
)
from patroli.dashboard.scope import Scope, day_bounds
from patroli.dashboard.views_reports import anev_scope
from patroli.elections.models import Incident
from patroli.patrols.models import Appeal, Visit
from patroli.patrols.services import (
    ConcernData,
    DialogueData,
    IncidentData,
    ParticipantData,
    record_visit,
)
from patroli.regions.models import Region
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
DAY = dt.date(2024, 1, 23)
REPORTER = "Siti Rahayu"
REPORTER_PHONE = "081234567890"
COMMANDER_MAIL = "kapolsek.sepaku@polri.example"
UNIT_MAIL = "polsek.sepaku@polri.example"
POLRES_MAIL = "kapolres.ppu@polri.example"


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=WITA)


def backdate(concern_ids, moment: dt.datetime) -> None:
    """Concerns get their creation time from the clock; move them to the scene's day."""
    Concern.objects.filter(pk__in=concern_ids).update(
        created_at=moment, due_at=moment + dt.timedelta(days=3)
    )


def visit(user, site, start, **fields) -> Visit:
    visit, _ = record_visit(recorded_by=user, site=site, started_at=start, **fields)
    backdate([c.pk for c in visit.concerns.all()], start)
    return visit


@pytest.fixture
def scene(world):
    money = Category.objects.get(code="politik-uang")
    appeals = list(Appeal.objects.order_by("order", "code")[:2])
    morning = visit(
        world.officer,
        world.pps_bumi,
        at(23, 10),
        ended_at=at(23, 11, 30),
        officers=[world.kapolsek, world.officer],
        dialogue=DialogueData(
            participants=[
                ParticipantData("Ma’ruf 👮‍♂️ Şahin", "Ketua PPS", "PPS Bumi Harapan"),
                ParticipantData("=SUM(A1:A9)", "Anggota PPS"),
            ],
            attendees=12,
            appeals=appeals,
            response="positive",
        ),
        concerns=[ConcernData(money, "Ada pembagian amplop di RT 05.")],
    )
    afternoon = visit(
        world.officer,
        world.tps_bumi,
        at(23, 14),
        dialogue=DialogueData(participants=[], attendees=4, response="neutral"),
        incidents=[IncidentData("hoax", "yellow", "Pesan berantai soal TPS dipindah.")],
    )
    # Just inside the day (00:30 WITA is still 22 January in UTC), and just outside it.
    early = visit(world.officer, world.pps_bumi, at(23, 0, 30))
    visit(world.officer, world.pps_bumi, at(22, 23, 59))
    visit(world.officer, world.tps_bumi, at(24, 0, 1))
    penajam = visit(
        world.other_officer,
        world.pps_penajam,
        at(23, 9),
        dialogue=DialogueData(participants=[], attendees=5, response="positive"),
    )
    # The week before: two visits in Sepaku, one on 10 January (so the TPS was left alone).
    visit(world.officer, world.pps_bumi, at(16, 9))
    visit(world.officer, world.pps_bumi, at(17, 9))
    web = open_concern(
        source=Concern.Source.WEB,
        category=Category.objects.get(code="hoaks"),
        description="Ada hoaks di grup WhatsApp warga.",
        village=Region.objects.get(code="64.09.04.2004"),
        reporter_name=REPORTER,
        reporter_phone=REPORTER_PHONE,
    )
    backdate([web.pk], at(23, 16))
    # Received on the 10th and never handled: overdue on the 23rd.
    old = open_concern(
        source=Concern.Source.STAFF,
        category=money,
        description="Laporan lama.",
        village=Region.objects.get(code="64.09.04.2004"),
    )
    backdate([old.pk], at(10, 8))
    return {
        "morning": morning,
        "afternoon": afternoon,
        "early": early,
        "penajam": penajam,
        "web": web,
        "old": old,
    }


def scope_of(user, unit=None, start=DAY, end=DAY) -> Scope:
    return Scope(user=user, unit=unit or user.unit, start=start, end=end)


def in_day(queryset, field, unit, day=DAY):
    begin, finish = day_bounds(day, day)
    return queryset.filter(
        **{f"{field}__gte": begin, f"{field}__lt": finish, "unit__path__startswith": unit.path}
    )


# -- what a report holds -------------------------------------------------------------------------


def test_daily_figures_agree_with_the_database(world, scene):
    report = daily_report(scope_of(world.kapolsek))
    f = report.figures

    assert f.visits_day == in_day(Visit.objects, "started_at", world.sepaku).count() == 3
    assert report.visits.total == len(report.visits.rows) == 3
    assert f.concerns_new == in_day(Concern.objects, "created_at", world.sepaku).count() == 2
    assert f.incidents_total == in_day(Incident.objects, "occurred_at", world.sepaku).count() == 1
    assert f.incidents == {"green": 0, "yellow": 1, "red": 0}
    assert f.attendees_period == 16
    assert f.concerns_overdue == 1 and [c.code for c in report.overdue.rows] == [
        scene["old"].display_code
    ]
    assert report.response_mix == {"positive": 1, "neutral": 1, "negative": 0}
    # The week to the 23rd: both Sepaku sites were visited.
    assert (f.sites_total, f.sites_covered) == (2, 2)
    assert report.left_alone.rows == []
    assert (
        sum(n for _d, n in report.week)
        == Visit.objects.filter(
            unit=world.sepaku, started_at__gte=at(17, 0), started_at__lt=at(24, 0)
        ).count()
    )
    assert report.stage.name == "Masa kampanye Pemilu 2024"
    assert report.stage.days_to_voting == 22


def test_daily_tables_list_the_days_records_without_the_reporter(world, scene):
    with translation.override("en"):
        report = daily_report(scope_of(world.kapolsek))

    first, second, third = report.visits.rows
    assert [r.started_at for r in report.visits.rows] == [at(23, 0, 30), at(23, 10), at(23, 14)]
    assert second.site == "Kantor PPS Desa Bumi Harapan"
    assert second.village == "Bumi Harapan"
    assert second.officers == ["AKP Kasiyono", "Aipda Rahmat"]
    assert second.recorded_by == world.officer.display_name
    assert second.attendees == 12 and second.response == "positive"
    assert second.participants[0] == "Ma’ruf 👮‍♂️ Şahin, Ketua PPS, PPS Bumi Harapan"
    assert len(second.appeals) == 2
    [raised] = scene["morning"].concerns.all()
    assert second.concerns == [f"{raised.display_code} Politik uang"]
    assert first.attendees is None and first.appeals == []

    codes = [c.code for c in report.new_concerns.rows]
    assert codes == [raised.display_code, scene["web"].display_code]
    web = report.new_concerns.rows[1]
    assert (web.category, web.status, web.village) == (
        "Hoaks atau provokasi",
        "received",
        "Bumi Harapan",
    )
    assert REPORTER not in repr(report) and REPORTER_PHONE not in repr(report)

    [incident] = report.incidents.rows
    assert (incident.kind, incident.severity) == ("hoax or provocation", "yellow")


def test_a_polres_report_holds_both_polseks_and_a_polsek_only_its_own(world, scene):
    polres = daily_report(scope_of(world.commander))
    sepaku = daily_report(scope_of(world.kapolsek))
    assert polres.figures.visits_day == 4
    assert {r.unit for r in polres.visits.rows} == {"Polsek Sepaku", "Polsek Penajam"}
    assert {r.unit for r in sepaku.visits.rows} == {"Polsek Sepaku"}
    assert polres.figures.sites_total == Site.objects.count() == 3


def test_left_alone_counts_only_visits_up_to_the_day(world, scene):
    # On the 18th the TPS had never been visited (its first visit is on the 23rd).
    report = daily_report(
        scope_of(world.kapolsek, start=dt.date(2024, 1, 18), end=dt.date(2024, 1, 18))
    )
    assert [(s.name, s.last_visit_at) for s in report.left_alone.rows] == [
        ("TPS 001 Desa Bumi Harapan", None)
    ]
    assert report.left_alone.total == 1 and report.left_alone.cap == LEFT_ALONE_ROWS


def test_anev_compares_with_the_previous_period(world, scene):
    report = anev_report(scope_of(world.kapolsek, start=dt.date(2024, 1, 17), end=DAY))
    assert (report.previous_start, report.previous_end) == (
        dt.date(2024, 1, 10),
        dt.date(2024, 1, 16),
    )
    with translation.override("en"):
        changes = {c.label: c for c in anev_report(report.scope).changes}
    begin, finish = day_bounds(dt.date(2024, 1, 17), DAY)
    visits = Visit.objects.filter(unit=world.sepaku, started_at__gte=begin, started_at__lt=finish)
    assert changes["Visits"].current == visits.count() == 5
    assert changes["Visits"].previous == 1  # the 16th
    assert changes["Visits"].change == 4 and changes["Visits"].change_pct == 400
    assert (changes["New concerns"].current, changes["New concerns"].previous) == (2, 1)
    assert changes["Incidents"].current == 1 and changes["Incidents"].change_pct is None
    assert (changes["Sites visited"].current, changes["Sites visited"].previous) == (2, 1)
    assert (
        changes["Coverage of sites"].current == 100 and changes["Coverage of sites"].previous == 50
    )
    assert [n for _d, n, _mix in report.per_day] == [1, 0, 0, 0, 0, 1, 3]
    assert report.by_category == [("Hoaks atau provokasi", 1), ("Politik uang", 1)]
    assert report.response_mix == {"positive": 1, "neutral": 1, "negative": 0}


@pytest.mark.parametrize(
    ("end", "span", "start"),
    [
        (DAY, "week", dt.date(2024, 1, 17)),
        (DAY, "month", dt.date(2023, 12, 24)),
        (dt.date(2024, 3, 31), "month", dt.date(2024, 3, 1)),
        (dt.date(2024, 1, 31), "month", dt.date(2024, 1, 1)),
    ],
)
def test_period_start(end, span, start):
    assert period_start(end, span) == start


def test_anev_scope_reads_period_or_from(world):
    scope = anev_scope(world.kapolsek, {"to": "2024-01-23", "period": "month"})
    assert (scope.start, scope.end) == (dt.date(2023, 12, 24), DAY)
    scope = anev_scope(world.kapolsek, {"from": "2024-01-01", "to": "2024-01-23"})
    assert (scope.start, scope.end) == (dt.date(2024, 1, 1), DAY)


def test_letterhead_from_the_unit_and_its_ancestors(world):
    assert letterhead(world.sepaku) == [
        "KEPOLISIAN NEGARA REPUBLIK INDONESIA",
        "DAERAH KALIMANTAN TIMUR",
        "RESOR PENAJAM PASER UTARA",
        "SEKTOR SEPAKU",
    ]
    assert letterhead(None) == ["KEPOLISIAN NEGARA REPUBLIK INDONESIA"]


def test_building_a_report_takes_the_same_queries_for_3_or_20_visits(world):
    appeals = list(Appeal.objects.all()[:2])
    money = Category.objects.get(code="politik-uang")

    def add(n):
        for i in range(n):
            visit(
                world.officer,
                world.pps_bumi,
                at(23, 8) + dt.timedelta(minutes=i),
                officers=[world.officer, world.kapolsek],
                dialogue=DialogueData(
                    participants=[ParticipantData(f"Warga {i}")], attendees=3, appeals=appeals
                ),
                concerns=[ConcernData(money, "Amplop.")],
                incidents=[IncidentData("hoax", "green")],
            )

    def queries(build):
        with CaptureQueriesContext(connection) as ctx:
            report = build(scope_of(world.commander))
            render_pdf(report)
            render_xlsx(report)
        return len(ctx.captured_queries), report

    add(3)
    few, report = queries(daily_report)
    few_anev, _ = queries(lambda s: anev_report(Scope(s.user, s.unit, dt.date(2024, 1, 17), DAY)))
    assert report.figures.visits_day == 3
    add(17)
    many, report = queries(daily_report)
    many_anev, _ = queries(lambda s: anev_report(Scope(s.user, s.unit, dt.date(2024, 1, 17), DAY)))
    assert report.figures.visits_day == len(report.visits.rows) == 20
    assert few == many
    assert few_anev == many_anev


# -- the files -----------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_with_the_report_in_it(world, scene):
    with translation.override("en"):
        report = daily_report(scope_of(world.kapolsek))
        pdf = render_pdf(report, compress=False)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 10_000
    for text in (
        b"DAILY REPORT",
        b"SEKTOR SEPAKU",
        b"RESOR PENAJAM PASER UTARA",
        b"23 January 2024",
        b"Kantor PPS Desa Bumi Harapan",
        b"(Page 1 of ) Tj (2) Tj",  # the total is filled in at the end
        b"KASIYONO",
        scene["web"].display_code.encode(),
    ):
        assert text in pdf, text
    # The core font cannot draw an emoji: it becomes "?", the rest of the name survives.
    assert b"Ma\x92ruf" in pdf and b"Sahin" in pdf
    assert REPORTER.encode() not in pdf and REPORTER_PHONE.encode() not in pdf
    # Compressed (as served), still a PDF.
    assert render_pdf(report).startswith(b"%PDF-")


def test_the_pdf_speaks_indonesian_by_default(world, scene):
    pdf = render_pdf(daily_report(scope_of(world.kapolsek)), compress=False)
    assert b"23 Januari 2024" in pdf


def test_an_anev_pdf_and_a_pdf_of_an_empty_day(world, scene):
    with translation.override("en"):
        anev = render_pdf(
            anev_report(scope_of(world.commander, start=dt.date(2023, 12, 24), end=DAY)),
            compress=False,
        )
        empty = render_pdf(
            daily_report(
                scope_of(world.kapolsek, start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 1))
            ),
            compress=False,
        )
    assert anev.startswith(b"%PDF-") and b"ANALYSIS AND EVALUATION" in anev
    assert b"24 December 2023 - 23 January 2024" in anev
    assert b"RESOR PENAJAM PASER UTARA" in anev and b"SEKTOR SEPAKU" not in anev
    assert b"No visits were recorded on this day." in empty


def test_printable_never_fails():
    assert printable("Ma’ruf – “baik”") == "Ma’ruf – “baik”"
    assert printable("Şahin Ğ") == "Sahin G"
    assert printable("polisi 👮‍♂️!") == "polisi ?!"
    assert printable("ok 👍🏽") == "ok ??"  # an emoji and its skin tone
    assert printable("北京") == "??"


def test_the_xlsx_holds_the_figures_and_tables(world, scene):
    with translation.override("en"):
        report = daily_report(scope_of(world.kapolsek))
        data = render_xlsx(report)
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == [
        "Summary",
        "Visits",
        "New concerns",
        "Incidents",
        "Overdue concerns",
        "Sites left alone",
    ]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Unit"] == "Polsek Sepaku"
    assert summary["Date"] == dt.datetime(2024, 1, 23)
    assert summary["Visits on the day"] == 3
    assert summary["New concerns"] == 2
    assert summary["Overdue concerns"] == 1
    assert summary["Incidents"] == 1

    visits = book["Visits"]
    assert visits.freeze_panes == "A2"
    assert visits["A1"].font.bold and visits["A1"].value == "Start"
    assert visits.column_dimensions["D"].width > 10
    starts = [row[0] for row in visits.iter_rows(min_row=2, values_only=True)]
    assert starts == [
        dt.datetime(2024, 1, 23, 0, 30),
        dt.datetime(2024, 1, 23, 10),
        dt.datetime(2024, 1, 23, 14),
    ]
    participants = visits.cell(row=3, column=10)
    assert participants.value.startswith("Ma’ruf")
    assert "=SUM(A1:A9)" in participants.value
    assert participants.data_type == "s"

    concerns = list(book["New concerns"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in concerns] == [c.code for c in report.new_concerns.rows]
    assert all(REPORTER not in str(cell) for row in concerns for cell in row)


def test_a_cell_starting_with_equals_stays_text(world, scene):
    Site.objects.filter(pk=world.tps_bumi.pk).update(name="=HYPERLINK(1)")
    with translation.override("en"):
        data = render_xlsx(daily_report(scope_of(world.kapolsek)))
    cell = load_workbook(BytesIO(data))["Visits"]["D4"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


def test_the_anev_xlsx(world, scene):
    with translation.override("en"):
        data = render_xlsx(
            anev_report(scope_of(world.kapolsek, start=dt.date(2024, 1, 17), end=DAY))
        )
    book = load_workbook(BytesIO(data))
    assert book.sheetnames[:4] == [
        "Summary",
        "Per day",
        "Concerns by category",
        "Incidents by kind",
    ]
    rows = {row[0]: row[1:] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert rows["Visits"][:4] == (5, 1, 4, 400)
    per_day = list(book["Per day"].iter_rows(min_row=2, values_only=True))
    assert per_day[0][:2] == (dt.datetime(2024, 1, 17), 1)
    assert per_day[-1][:2] == (dt.datetime(2024, 1, 23), 3)


# -- the URLs ------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_commander_downloads_the_daily_pdf_and_xlsx(world, scene):
    client = logged_in(world.commander)
    response = client.get(reverse("dashboard:report-daily-pdf"), {"date": "2024-01-23"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="laporan-harian-polres-ppu-2024-01-23.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")

    response = client.get(
        reverse("dashboard:report-daily-xlsx"), {"date": "2024-01-23", "unit": "polsek-penajam"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="laporan-harian-polsek-penajam-2024-01-23.xlsx"'
    )
    book = load_workbook(BytesIO(response.content))
    assert len(list(book.worksheets[1].iter_rows(min_row=2))) == 1  # the one Penajam visit


def test_an_administrator_without_a_unit_gets_the_whole_country(world, scene):
    response = logged_in(world.admin).get(
        reverse("dashboard:report-daily-xlsx"), {"date": "2024-01-23"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('laporan-harian-all-2024-01-23.xlsx"')
    book = load_workbook(BytesIO(response.content))
    assert len(list(book.worksheets[1].iter_rows(min_row=2))) == 4


def test_the_daily_report_defaults_to_today(world):
    response = logged_in(world.kapolsek).get(reverse("dashboard:report-daily-pdf"))
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert f"laporan-harian-polsek-sepaku-{today}.pdf" in response["Content-Disposition"]


def test_a_village_filter_narrows_the_report_and_says_so(world, scene):
    response = logged_in(world.commander).get(
        reverse("dashboard:report-daily-xlsx"),
        {"date": "2024-01-23", "village": "64.09.01.1003"},
        headers={"Accept-Language": "en"},
    )
    book = load_workbook(BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Only village or district"] == "Petung (64.09.01.1003)"
    assert summary["Visits on the day"] == 1
    assert response["Content-Disposition"].endswith('laporan-harian-polres-ppu-2024-01-23.xlsx"')


def test_the_anev_urls(world, scene):
    client = logged_in(world.kapolsek)
    url = reverse("dashboard:report-anev-pdf")
    response = client.get(url, {"to": "2024-01-23", "period": "month"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="anev-polsek-sepaku-2023-12-24-2024-01-23.pdf"'
    )
    response = client.get(
        reverse("dashboard:report-anev-xlsx"), {"from": "2024-01-17", "to": "2024-01-23"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        'anev-polsek-sepaku-2024-01-17-2024-01-23.xlsx"'
    )


def test_a_polsek_officer_cannot_fetch_the_sibling_polsek(world, scene):
    client = logged_in(world.officer)
    for name in ("report-daily-pdf", "report-daily-xlsx", "report-anev-pdf", "report-anev-xlsx"):
        response = client.get(reverse(f"dashboard:{name}"), {"unit": "polsek-penajam"})
        assert response.status_code == 404, name
        response = client.get(reverse(f"dashboard:{name}"), {"unit": "polres-ppu"})
        assert response.status_code == 404, name
    assert logged_in(world.no_unit).get(reverse("dashboard:report-daily-pdf")).status_code == 404


def test_anonymous_is_sent_to_log_in(world):
    response = Client().get(reverse("dashboard:report-daily-pdf"), {"date": "2024-01-23"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_bearer_token_fetches_a_report_and_a_bad_one_is_refused(world, scene):
    response = api_client(world.kapolsek).get(
        reverse("dashboard:report-daily-xlsx"), {"date": "2024-01-23"}
    )
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    bad = Client(headers={"Authorization": "Bearer not-a-token"})
    response = bad.get(reverse("dashboard:report-daily-pdf"), {"date": "2024-01-23"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("name", "params", "bad"),
    [
        ("report-daily-pdf", {"date": "23-01-2024"}, "date"),
        ("report-anev-pdf", {"to": "2024-13-01"}, "to"),
        ("report-anev-xlsx", {"from": "2024-01-24", "to": "2024-01-23"}, "from"),
        ("report-anev-pdf", {"period": "year"}, "period"),
        ("report-anev-pdf", {"period": "week", "from": "2024-01-01"}, "period"),
    ],
)
def test_bad_parameters_answer_400_naming_them(world, name, params, bad):
    client = logged_in(world.kapolsek)
    response = client.get(reverse(f"dashboard:{name}"), params)
    assert response.status_code == 400
    assert f"\n{bad}: " in response.content.decode()
    response = client.get(
        reverse(f"dashboard:{name}"), params, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [bad]


# -- the command ---------------------------------------------------------------------------------


@pytest.fixture
def addresses(world):
    world.kapolsek.email = COMMANDER_MAIL
    world.kapolsek.save()
    world.sepaku.email = UNIT_MAIL
    world.sepaku.save()
    world.commander.email = POLRES_MAIL
    world.commander.save()
    # Neither an officer nor an inactive commander receives the report.
    world.officer.email = "bhabin@polri.example"
    world.officer.save()
    world.humas.email = "humas@polri.example"
    world.humas.save()
    make_user("former", world.sepaku, "commander", email="former@polri.example", is_active=False)


def send(*args) -> str:
    out = StringIO()
    call_command("send_daily_report", *args, stdout=out)
    return out.getvalue()


def test_the_command_mails_each_unit_its_report(world, scene, addresses, mailoutbox):
    out = send("--date", "2024-01-23")

    assert len(mailoutbox) == 2
    by_to = {tuple(sorted(m.to)): m for m in mailoutbox}
    sepaku = by_to[(COMMANDER_MAIL, UNIT_MAIL)]
    polres = by_to[(POLRES_MAIL,)]
    for mail, code in ((sepaku, "polsek-sepaku"), (polres, "polres-ppu")):
        names = [a[0] for a in mail.attachments]
        assert names == [
            f"laporan-harian-{code}-2024-01-23.pdf",
            f"laporan-harian-{code}-2024-01-23.xlsx",
        ]
        assert mail.attachments[0][1].startswith(b"%PDF-")
        assert mail.attachments[0][2] == "application/pdf"
        assert "23 Januari 2024" in mail.subject
    assert "Polsek Sepaku" in sepaku.subject
    assert "Polres Penajam Paser Utara" in polres.subject
    # The Polres report counts both Polsek's visits; the Polsek's only its own.
    assert ": 3 " in sepaku.body and ": 4 " in polres.body
    assert REPORTER not in sepaku.body
    assert out.splitlines() == [
        f"polres-ppu: sent to {POLRES_MAIL} (4 visits, 2 new concerns)",
        f"polsek-sepaku: sent to {COMMANDER_MAIL}, {UNIT_MAIL} (3 visits, 2 new concerns)",
    ]


def test_the_command_for_chosen_units_and_yesterday_by_default(world, addresses, mailoutbox):
    out = send("--unit", "polsek-sepaku", "polsek-penajam")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    [mail] = mailoutbox
    assert sorted(mail.to) == [COMMANDER_MAIL, UNIT_MAIL]
    assert mail.attachments[1][0] == f"laporan-harian-polsek-sepaku-{yesterday}.xlsx"
    assert "polsek-penajam: skipped, nobody to send to" in out


def test_a_dry_run_sends_nothing(world, scene, addresses, mailoutbox):
    out = send("--date", "2024-01-23", "--dry-run")
    assert mailoutbox == []
    assert f"polsek-sepaku: would send to {COMMANDER_MAIL}, {UNIT_MAIL}" in out


def test_an_unknown_unit_is_an_error(world, addresses, mailoutbox):
    with pytest.raises(CommandError, match="polsek-atlantis"):
        send("--unit", "polsek-sepaku", "polsek-atlantis")
    assert mailoutbox == []


def test_a_unit_with_only_its_own_address_gets_a_report_without_a_commander(world, mailoutbox):
    world.penajam.email = "polsek.penajam@polri.example"
    world.penajam.save()
    send("--date", "2024-01-23")
    [mail] = mailoutbox
    assert mail.to == ["polsek.penajam@polri.example"]
