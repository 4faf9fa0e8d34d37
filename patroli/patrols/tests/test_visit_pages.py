"""The officer's pages (/app/) through HTTP: today, recording a visit, the list and the detail."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from patroli.concerns.models import Category, Concern
from patroli.core.geo import distance_m
from patroli.patrols.models import Appeal, Dialogue, Participant, Visit
from patroli.patrols.services import DialogueData, ParticipantData, record_visit

# A point about 23 m from the Bumi Harapan PPS office (-0.923927, 116.583091).
NEAR_BUMI = (-0.9241, 116.5832)


def local_minutes(moment) -> str:
    """``moment`` as a datetime-local input sends it ("YYYY-MM-DDTHH:MM", local time)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visit_post(at_site, /, **overrides) -> dict:
    """A complete visit form as the browser sends it; ``overrides`` replace or drop (None) keys."""
    start = timezone.now() - timedelta(hours=2)
    appeals = list(Appeal.objects.filter(active=True).order_by("order")[:2])
    category = Category.objects.get(code="politik-uang")
    data = {
        "client_id": str(uuid.uuid4()),
        "site": str(at_site.pk),
        "kind": Visit.Kind.DIALOGIC,
        "started_at": local_minutes(start),
        "ended_at": local_minutes(start + timedelta(hours=1)),
        "lat": str(NEAR_BUMI[0]),
        "lon": str(NEAR_BUMI[1]),
        "attendees": "25",
        "topics": "Persiapan pemungutan suara\n\n  Keamanan logistik  \n",
        "appeals": [a.code for a in appeals],
        "response": Dialogue.Response.POSITIVE,
        "notes": "Warga antusias.",
        "p-TOTAL_FORMS": "2",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "100",
        "p-0-name": "Suparman",
        "p-0-role": "Ketua PPS",
        "p-0-organisation": "PPS Bumi Harapan",
        "p-1-name": "",
        "p-1-role": "",
        "p-1-organisation": "",
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "50",
        "c-0-category": category.code,
        "c-0-description": "Ada kabar pembagian sembako oleh tim sukses.",
        "i-TOTAL_FORMS": "1",
        "i-INITIAL_FORMS": "0",
        "i-MIN_NUM_FORMS": "0",
        "i-MAX_NUM_FORMS": "50",
        "i-0-kind": "intimidation",
        "i-0-severity": "yellow",
        "i-0-description": "Seorang warga diancam agar memilih calon tertentu.",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def nothing_written():
    assert Visit.objects.count() == 0
    assert Dialogue.objects.count() == 0
    assert Participant.objects.count() == 0
    assert Concern.objects.count() == 0


# --- Login and the default language ---------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(db):
    response = Client().get("/app/")
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")
    assert "next=/app/" in response["Location"]


def test_login_through_the_form(world):
    client = Client()
    response = client.post(
        "/masuk/", {"username": world.officer.username, "password": PASSWORD, "next": "/app/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.context["user"] == world.officer


def test_login_with_a_wrong_password_fails(world):
    client = Client()
    response = client.post("/masuk/", {"username": world.officer.username, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.context["user"].is_authenticated


def test_login_page_is_indonesian_by_default(db):
    response = Client().get("/masuk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Masuk" in html


def test_app_strings_are_translated_to_indonesian_by_default(world):
    """The project's own strings (not only Django's) come out in Indonesian."""
    html = logged_in(world.officer).get("/app/").content.decode()
    for english in ("Record a visit", "Sites to visit", "Never visited"):
        assert english not in html, f"untranslated: {english!r}"


# --- Today ----------------------------------------------------------------------------------


def test_today_lists_own_sites_never_visited_first(world):
    record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at=timezone.now() - timedelta(days=3),
        dialogue=DialogueData(participants=[ParticipantData("Suparman")]),
    )
    response = logged_in(world.officer).get("/app/")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.pps_bumi.name in html
    assert world.tps_bumi.name in html
    assert world.pps_penajam.name not in html
    # Without visits the PPS office would come first (same village, name order); the visit
    # pushes it behind the never-visited TPS.
    names = [site.name for site in response.context["page"]]
    assert names == [world.tps_bumi.name, world.pps_bumi.name]
    assert html.index(world.tps_bumi.name) < html.index(world.pps_bumi.name)
    assert f"{reverse('app:visit-new')}?site={world.tps_bumi.pk}" in html


def test_today_of_a_user_without_unit_is_empty(world):
    response = logged_in(world.no_unit).get("/app/")
    assert response.status_code == 200
    assert list(response.context["page"]) == []


# --- The visit form -------------------------------------------------------------------------


def test_new_visit_form_shows_appeals_as_checkboxes(world):
    response = logged_in(world.officer).get("/app/kunjungan/baru/")
    assert response.status_code == 200
    html = response.content.decode()
    appeals = list(Appeal.objects.filter(active=True))
    assert len(appeals) >= 2
    for appeal in appeals:
        assert re.search(
            rf'<input type="checkbox" name="appeals" value="{appeal.code}"[^>]*>', html
        ), appeal.code
        assert appeal.title in html
    assert 'name="client_id"' in html
    uuid.UUID(str(response.context["form"]["client_id"].value()))
    assert 'id="id_p-TOTAL_FORMS"' in html
    assert 'id="id_c-TOTAL_FORMS"' in html
    assert 'id="locate"' in html
    # Only the officer's own unit's sites can be chosen.
    sites = set(response.context["form"].fields["site"].queryset)
    assert sites == {world.pps_bumi, world.tps_bumi}


def test_new_visit_form_preselects_the_site_from_today(world):
    client = logged_in(world.officer)
    response = client.get(f"/app/kunjungan/baru/?site={world.tps_bumi.pk}")
    assert response.context["form"]["site"].value() == world.tps_bumi.pk
    # Another unit's site is not preselected.
    response = client.get(f"/app/kunjungan/baru/?site={world.pps_penajam.pk}")
    assert response.context["form"]["site"].value() is None


def test_post_full_visit_records_everything(world):
    client = logged_in(world.officer)
    data = visit_post(world.pps_bumi)
    response = client.post("/app/kunjungan/baru/", data)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    visit = Visit.objects.get()
    assert str(visit.pk) == data["client_id"]
    assert response["Location"] == reverse("app:visit-detail", kwargs={"visit_id": visit.pk})

    assert visit.site == world.pps_bumi
    assert visit.unit == world.sepaku
    assert visit.kind == Visit.Kind.DIALOGIC
    assert visit.recorded_by == world.officer
    incident = visit.incidents.get()
    assert (incident.kind, incident.severity) == ("intimidation", "yellow")
    assert incident.occurred_at == visit.started_at and incident.unit == world.sepaku
    assert list(visit.officers.all()) == [world.officer]
    assert timezone.localtime(visit.started_at).strftime("%Y-%m-%dT%H:%M") == data["started_at"]
    assert timezone.localtime(visit.ended_at).strftime("%Y-%m-%dT%H:%M") == data["ended_at"]
    assert visit.lat == pytest.approx(NEAR_BUMI[0])
    assert visit.lon == pytest.approx(NEAR_BUMI[1])
    expected = distance_m(*NEAR_BUMI, world.pps_bumi.lat, world.pps_bumi.lng)
    assert visit.distance_m == pytest.approx(expected, abs=0.1)
    assert 15 < visit.distance_m < 30
    assert visit.far_from_site is False

    dialogue = visit.dialogue
    assert dialogue.attendees == 25
    assert dialogue.topics == ["Persiapan pemungutan suara", "Keamanan logistik"]
    assert dialogue.response == Dialogue.Response.POSITIVE
    assert dialogue.notes == "Warga antusias."
    assert {a.code for a in dialogue.appeals.all()} == set(data["appeals"])
    participants = list(dialogue.participants.values_list("name", "role", "organisation"))
    assert participants == [("Suparman", "Ketua PPS", "PPS Bumi Harapan")]

    concern = Concern.objects.get()
    assert concern.source == Concern.Source.PATROL
    assert concern.category.code == "politik-uang"
    assert concern.description == data["c-0-description"]
    assert concern.visit == visit
    assert concern.site == world.pps_bumi
    assert concern.unit == world.sepaku
    assert concern.village_id == world.pps_bumi.village_id
    assert concern.created_by == world.officer

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    html = detail.content.decode()
    assert world.pps_bumi.name in html
    assert "Suparman" in html
    assert re.search(rf"\b{round(visit.distance_m)} m\b", html)
    assert "Ada kabar pembagian sembako" in html


def test_check_in_far_from_the_site_is_flagged(world):
    client = logged_in(world.officer)
    data = visit_post(world.pps_bumi, lat="-1.339233", lon="116.638177")  # Petung, ~46 km
    assert client.post("/app/kunjungan/baru/", data).status_code == 302
    visit = Visit.objects.get()
    assert visit.distance_m > 40_000
    assert visit.far_from_site is True


def test_visit_without_location_has_no_distance(world):
    client = logged_in(world.officer)
    data = visit_post(world.tps_bumi, lat="", lon="")
    assert client.post("/app/kunjungan/baru/", data).status_code == 302
    visit = Visit.objects.get()
    assert visit.distance_m is None
    assert visit.far_from_site is False


def test_resending_the_same_visit_creates_nothing_new(world):
    client = logged_in(world.officer)
    data = visit_post(world.pps_bumi)
    first = client.post("/app/kunjungan/baru/", data)
    second = client.post("/app/kunjungan/baru/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Visit.objects.count() == 1
    assert Dialogue.objects.count() == 1
    assert Participant.objects.count() == 1
    assert Concern.objects.count() == 1
    assert Visit.objects.get().dialogue.appeals.count() == 2


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("end_before_start", "ended_at"),
        ("missing_site", "site"),
        ("site_of_another_unit", "site"),
        ("start_in_the_future", "started_at"),
        ("lat_without_lon", "lon"),
    ],
)
def test_invalid_visit_is_shown_again_with_errors(world, case, field):
    start = timezone.now() - timedelta(hours=2)
    overrides = {
        "end_before_start": {
            "started_at": local_minutes(start),
            "ended_at": local_minutes(start - timedelta(minutes=30)),
        },
        "missing_site": {"site": ""},
        "site_of_another_unit": {"site": str(world.pps_penajam.pk)},
        "start_in_the_future": {
            "started_at": local_minutes(timezone.now() + timedelta(hours=3)),
            "ended_at": "",
        },
        "lat_without_lon": {"lon": ""},
    }[case]
    response = logged_in(world.officer).post(
        "/app/kunjungan/baru/", visit_post(world.pps_bumi, **overrides)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    html = response.content.decode()
    assert "has-error" in html
    assert form.errors[field][0] in html
    # What was typed is kept.
    assert "Suparman" in html
    nothing_written()


def test_invalid_participant_row_writes_nothing(world):
    data = visit_post(world.pps_bumi, **{"p-1-role": "Kepala Desa"})  # a role without a name
    response = logged_in(world.officer).post("/app/kunjungan/baru/", data)
    assert response.status_code == 200
    assert response.context["participants"].errors[1]
    nothing_written()


# --- Detail and list ------------------------------------------------------------------------


@pytest.fixture
def visits(world):
    """One visit in each Polsek."""
    start = timezone.now() - timedelta(days=1)
    sepaku = record_visit(recorded_by=world.officer, site=world.pps_bumi, started_at=start)[0]
    penajam = record_visit(
        recorded_by=world.other_officer, site=world.pps_penajam, started_at=start
    )[0]
    return sepaku, penajam


def test_visit_detail_of_another_unit_is_not_found(world, visits):
    _, penajam = visits
    url = reverse("app:visit-detail", kwargs={"visit_id": penajam.pk})
    assert logged_in(world.officer).get(url).status_code == 404
    response = logged_in(world.commander).get(url)
    assert response.status_code == 200
    assert world.pps_penajam.name in response.content.decode()


def test_visit_detail_of_an_unknown_id_is_not_found(world):
    url = reverse("app:visit-detail", kwargs={"visit_id": uuid.uuid4()})
    assert logged_in(world.commander).get(url).status_code == 404


def test_visit_list_follows_the_unit_tree(world, visits):
    sepaku, penajam = visits

    response = logged_in(world.commander).get("/app/kunjungan/")
    assert response.status_code == 200
    assert set(response.context["page"]) == {sepaku, penajam}
    html = response.content.decode()
    assert world.pps_bumi.name in html
    assert world.pps_penajam.name in html

    response = logged_in(world.other_officer).get("/app/kunjungan/")
    assert list(response.context["page"]) == [penajam]
    html = response.content.decode()
    assert world.pps_penajam.name in html
    assert world.pps_bumi.name not in html

    response = logged_in(world.officer).get("/app/kunjungan/")
    assert list(response.context["page"]) == [sepaku]


def test_visit_list_filters_by_day_village_kind_response_and_distance(world):
    wita = ZoneInfo("Asia/Makassar")

    def visit(site, day, hour=10, kind="dialogic", response="positive", far=False):
        return record_visit(
            recorded_by=world.officer if site != world.pps_penajam else world.other_officer,
            site=site,
            started_at=datetime(2024, 1, day, hour, tzinfo=wita),
            kind=kind,
            lat=None if site.lat is None else site.lat + (0.05 if far else 0),
            lon=site.lng,
            dialogue=DialogueData(participants=[], response=response),
        )[0]

    early = visit(world.pps_bumi, 20, hour=0)  # just after midnight: the 20th, local time
    late = visit(world.tps_bumi, 23, hour=23, kind="election_guard", response="negative")
    far = visit(world.pps_bumi, 22, far=True, response="neutral")
    penajam = visit(world.pps_penajam, 23)
    client = logged_in(world.commander)

    def shown(**params):
        response = client.get("/app/kunjungan/", params)
        assert response.status_code == 200
        return set(response.context["page"])

    assert shown() == {early, late, far, penajam}
    assert shown(start="2024-01-20", end="2024-01-20") == {early}
    assert shown(start="2024-01-23") == {late, penajam}  # through the last hour of the day
    assert shown(end="2024-01-22") == {early, far}
    assert shown(village="64.09.04") == {early, late, far}
    assert shown(village="64.09.01.1003") == {penajam}
    assert shown(kind="election_guard") == {late}
    assert shown(response="negative") == {late}
    assert shown(far="on") == {far}
    assert shown(response="positive", village="64.09.04") == {early}
    assert shown(site=world.tps_bumi.pk) == {late}
    html = client.get("/app/kunjungan/", {"response": "positive"}).content.decode()
    assert "2 kunjungan" in html
    assert 'href="/app/kunjungan/"' in html  # the way back to the whole list


def test_visit_list_says_which_filter_is_wrong_and_keeps_the_others(world, visits):
    sepaku, _penajam = visits
    client = logged_in(world.commander)
    response = client.get(
        "/app/kunjungan/",
        {"start": "2024-13-40", "village": "64-09", "kind": "parade", "site": sepaku.site_id},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"start", "village", "kind"}
    assert list(response.context["page"]) == [sepaku]  # the valid filter (site) still applies
    html = response.content.decode()
    assert "Masukkan kode wilayah seperti 64.09.04 atau 64.09.04.2004." in html
    assert f'href="/app/kunjungan/?site={sepaku.site_id}">Atur ulang' in html
    backwards = client.get("/app/kunjungan/", {"start": "2024-01-23", "end": "2024-01-20"})
    assert "start" in backwards.context["form"].errors


def test_visit_list_pages_keep_the_filters(world):
    start = timezone.now() - timedelta(days=1)
    for n in range(30):
        record_visit(
            recorded_by=world.officer,
            site=world.pps_bumi,
            started_at=start - timedelta(minutes=n),
            dialogue=DialogueData(participants=[], response="neutral"),
        )
    html = logged_in(world.officer).get("/app/kunjungan/", {"response": "neutral"}).content
    assert b'href="?response=neutral&amp;page=2"' in html


# --- Probes ---------------------------------------------------------------------------------


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz(db, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
