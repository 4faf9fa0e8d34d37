"""The authorization matrix: every route × every persona × a record of Sepaku and one of Penajam.

The routes come from the URL configuration and the OpenAPI document (routes.py); ``CHECKS`` says
for each how to build its address from the records and what each persona gets. A route without an
entry fails ``test_every_route_has_an_entry`` with its name: a new page or endpoint is not policed
until someone writes down who may use it. An entry whose route is gone fails too.

The rule (DESIGN.md, STYLE.md rule 5): a user sees its own unit's subtree; another unit's record
answers 404, not 403; anonymous users are sent to log in (pages) or get 401 (API); a list shows a
record exactly to those who may see it; public pages never show a reporter's or commenter's
contact details. Every answer of every check is also searched for the private details (contact
details, dialogue notes, internal notes, drafts, held comments) of the records its persona may not
see.

"own" is a record of Polsek Sepaku, "other" one of Polsek Penajam, the sibling. For a list, a form
or a report, own/other means that record is listed (or the unit's figures shown) or not. Writes
run in a savepoint that is rolled back, so that every check starts from the same records; a write
that is refused must leave its record as it was.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from PIL import Image

from conftest import PASSWORD, api_client, make_user
from patroli.api import api as project_api
from patroli.concerns.models import Category, Concern
from patroli.concerns.photos import add_photo
from patroli.concerns.services import move_concern, open_concern
from patroli.core.photos import prepare_photo
from patroli.core.tests.routes import api_operations, as_openapi_path, url_routes
from patroli.dashboard import views_reports
from patroli.dashboard.views_reports import RENDERERS
from patroli.elections import risk
from patroli.elections.models import Incident
from patroli.elections.services import record_incident
from patroli.newsroom.models import Comment, Release
from patroli.newsroom.services import (
    create_release,
    moderate_comment,
    post_comment,
    publish_release,
)
from patroli.patrols.models import PatrolPlan, PlanStop, Visit, VisitPhoto
from patroli.patrols.planning import create_plan
from patroli.patrols.services import (
    ConcernData,
    DialogueData,
    ParticipantData,
    add_visit_photo,
    record_visit,
)
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import ApiToken

pytestmark = pytest.mark.django_db

# -- who --------------------------------------------------------------------------------------

PERSONAS = (
    "anonymous",
    "officer",  # Polsek Sepaku
    "kapolsek",  # Polsek Sepaku, role commander
    "other_officer",  # Polsek Penajam, the sibling
    "commander",  # Polres Penajam Paser Utara, above both
    "humas",  # Polres, public relations
    "admin",  # superuser without a unit
    "no_unit",  # an officer without a unit
)
SIDES = ("own", "other")
SEES = {
    "anonymous": set(),
    "officer": {"own"},
    "kapolsek": {"own"},
    "other_officer": {"other"},
    "commander": {"own", "other"},
    "humas": {"own", "other"},
    "admin": {"own", "other"},
    "no_unit": set(),
}
# The newsroom's writers (humas, commanders, administrators), the release approver
# (PATROLI_RELEASE_APPROVER, humas by default, and administrators) and the plan managers.
WRITERS = frozenset({"kapolsek", "commander", "humas", "admin"})
APPROVERS = frozenset({"humas", "admin"})
MANAGERS = frozenset({"kapolsek", "commander", "admin"})

# -- what is not ours to police -----------------------------------------------------------------

EXCLUDED = {
    "admin/": "Django's admin has its own gate (is_staff, then model permissions): "
    "test_admin_gate; its model pages are listed in ADMIN_MODELS so that a new one shows",
    "i18n/": "set_language switches the interface language and shows no data",
    "^media/": "files served by Django in DEBUG only; in production photos go through the views "
    "that check access",
    "^static/": "static files (WhiteNoise serves them in production), no data",
}
# Models with admin pages. A new one fails test_every_route_has_an_entry until it is added here
# (after deciding who may see it: test_admin_gate checks that staff without permission get 403).
ADMIN_MODELS = {
    "auth/group",
    "django_tasks_database/dbtaskresult",
    "core/holiday",
    "regions/region",
    "units/unit",
    "units/officer",
    "units/apitoken",
    "sites/site",
    "patrols/appeal",
    "patrols/dialogue",
    "patrols/visit",
    "concerns/category",
    "concerns/open311key",
    "concerns/concern",
    "elections/stage",
    "elections/incident",
    "elections/riskbaseline",
    "elections/riskscore",
    "newsroom/release",
    "newsroom/comment",
    "newsroom/blockedterm",
    "audit/auditevent",  # superusers only, read-only (patroli/audit/tests/test_admin.py)
}
ADMIN_SITE_ROUTES = {
    "",
    "login/",
    "logout/",
    "password_change/",
    "password_change/done/",
    "autocomplete/",
    "jsi18n/",
    "r/<path:content_type_id>/<path:object_id>/",
    "(?P<url>.*)$",
}
ADMIN_MODEL_ROUTES = {
    "",
    "add/",
    "<path:object_id>/",
    "<path:object_id>/change/",
    "<path:object_id>/delete/",
    "<path:object_id>/history/",
    "<id>/password/",  # the officer's password form (UserAdmin)
    "verify/",  # the audit trail's chain check (AuditEventAdmin)
}


def unknown_admin_route(route: str) -> bool:
    rest = route.removeprefix("admin/")
    if rest in ADMIN_SITE_ROUTES or rest.startswith("^(?P<app_label>"):
        return False
    parts = rest.split("/", 2)
    if len(parts) == 3 and f"{parts[0]}/{parts[1]}" in ADMIN_MODELS:
        return parts[2] not in ADMIN_MODEL_ROUTES
    return True


# -- the records --------------------------------------------------------------------------------


class Records(dict):
    """One side's records as format values: ``{visit}``, ``{concern}``, ``{x[photo]}`` (x: the
    other side's)."""

    __getattr__ = dict.__getitem__


def png() -> io.BytesIO:
    file = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(file, "PNG")
    file.name = "foto.png"
    file.seek(0)
    return file


def build_side(world, tag: str, *, unit, site, officer, village: str) -> Records:
    """A unit's records: a visit (dialogue, concern, photo), a reported concern with contact
    details, a photo and an internal note, an incident, a draft and a published release with an
    approved and a held comment, a plan with one stop, and a site never visited."""
    now = timezone.now()
    hoax = Category.objects.get(code="hoaks")
    visit, _ = record_visit(
        recorded_by=officer,
        site=site,
        started_at=now - timedelta(hours=3),
        ended_at=now - timedelta(hours=2),
        dialogue=DialogueData(
            participants=[ParticipantData(f"Peserta {tag}", "Ketua PPS")],
            attendees=12,
            response="positive",
            notes=f"Catatan dialog {tag}",
        ),
        concerns=[ConcernData(hoax, f"Pesan berantai {tag}.")],
    )
    photo, _ = add_visit_photo(visit=visit, photo_id=uuid.uuid4(), photo=prepare_photo(png()))
    concern = open_concern(
        source=Concern.Source.WEB,
        category=hoax,
        description=f"Selebaran provokatif {tag} di dekat TPS.",
        village=Region.objects.get(code=village),
        site=site,
        reporter_name=f"Pelapor {tag}",
        reporter_phone=f"+62 812 {tag[-4:]} 0001",
        reporter_email=f"pelapor.{tag}@warga.example",
    )
    concern_photo = add_photo(concern=concern, upload=png())
    confidential = open_concern(  # followed by its code, never published
        source=Concern.Source.WEB,
        category=hoax,
        description=f"Rahasia {tag}: amplop untuk pemilih.",
        village=Region.objects.get(code=village),
        confidential=True,
    )
    confidential_photo = add_photo(concern=confidential, upload=png())
    move_concern(
        concern=concern, actor=officer, to_status="verified", note=f"Internal {tag}", public=False
    )
    incident, _ = record_incident(
        recorded_by=officer,
        kind=Incident.Kind.HOAX,
        severity=Incident.Severity.YELLOW,
        occurred_at=now - timedelta(hours=1),
        village=site.village,
        site=site,
        description=f"Insiden {tag}",
    )
    draft = create_release(
        author=world.humas, unit=unit, visit=visit, title=f"Draf {tag}", body=f"Isi draf {tag}."
    )
    published = create_release(
        author=world.humas, unit=unit, title=f"Berita {tag}", body=f"Patroli dialogis {tag}."
    )
    published = publish_release(release=published, actor=world.admin)
    comment = post_comment(
        release=published,
        name=f"Warga {tag}",
        email=f"warga.{tag}@warga.example",
        body=f"Terima kasih {tag}",
    )
    comment = moderate_comment(comment=comment, actor=world.admin, status="approved")
    held = post_comment(
        release=published,
        name=f"Penanya {tag}",
        email=f"penanya.{tag}@warga.example",
        body=f"Tertahan {tag}",
    )
    assert held.status == Comment.Status.PENDING
    plan = create_plan(
        unit=unit,
        date=timezone.localdate() + timedelta(days=1),
        teams=1,
        hours_per_team=3,
        created_by=world.admin,
        solver="greedy",
    )
    lonely = Site.objects.create(  # never visited: on the coverage's "left alone" list
        name=f"Pos Ronda {tag}", kind=Site.Kind.OTHER, village_id=village, unit=unit
    )
    return Records(
        tag=tag,
        category=hoax.pk,
        unit=unit.pk,
        unit_code=unit.code,
        site=site.pk,
        site_name=site.name,
        lonely_name=lonely.name,
        village=village,
        visit=visit.pk,
        photo=photo.pk,
        concern=concern.pk,
        code=concern.tracking_code,
        display_code=concern.display_code,
        concern_photo=concern_photo.pk,
        secret_code=confidential.tracking_code,
        secret_photo=confidential_photo.pk,
        incident=incident.pk,
        release=draft.pk,
        release_title=draft.title,
        draft_slug=draft.slug,
        published=published.pk,
        slug=published.slug,
        published_title=published.title,
        comment=comment.pk,
        held=held.pk,
        plan=plan.pk,
        stop=plan.stops.get().pk,
        # Private, the contact details first: shown only to those who may see the unit's
        # records, never on a public page.
        secrets=(
            concern.reporter_name,
            concern.reporter_phone,
            concern.reporter_email,
            comment.email,
            held.email,
            held.body,
            f"Catatan dialog {tag}",
            f"Peserta {tag}",
            f"Internal {tag}",
            draft.title,
            incident.description,
            confidential.description,
        ),
    )


@pytest.fixture(scope="module", autouse=True)
def openapi_once():
    """The OpenAPI document is the same for everyone: built once, not for every persona."""
    schema = project_api.get_openapi_schema(path_params={})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(project_api, "get_openapi_schema", lambda path_params=None: schema)
        yield


@pytest.fixture
def records(world, settings, tmp_path, monkeypatch) -> dict[str, Records]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PATROLI_PLAN_TIME_LIMIT_S = 0.2
    # The reports are gathered as usual but not drawn: a PDF takes half a second, and who may
    # fetch one is decided before (the files themselves are tested in dashboard/tests).
    drafted = {fmt: (lambda report: b"report", kind) for fmt, (_, kind) in RENDERERS.items()}
    monkeypatch.setattr(views_reports, "RENDERERS", drafted)
    own = build_side(
        world,
        "own7731",
        unit=world.sepaku,
        site=world.pps_bumi,
        officer=world.officer,
        village="64.09.04.2004",
    )
    other = build_side(
        world,
        "oth4482",
        unit=world.penajam,
        site=world.pps_penajam,
        officer=world.other_officer,
        village="64.09.01.1003",
    )
    risk.compute_all()
    # An API token of each side's officer: the account page revokes one's own only.
    own["token"] = ApiToken.issue(world.officer, name="matrix")[0].pk
    other["token"] = ApiToken.issue(world.other_officer, name="matrix")[0].pk
    own["x"], other["x"] = other, own
    return {"own": own, "other": other}


# -- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One route (one method of it) as a persona asks it about one side's record.

    The outcome is "anonymous" (not logged in), "refused" (a role check: ``only`` names who
    passes it, ``role_first`` when it comes before the access gate), "hidden" (another unit's
    record) or "ok", each with its status. A ``marker`` (formatted with the record) is in a 200
    answer exactly when the outcome is ok; ``state`` (read from the database before and after)
    changes exactly then, unless ``changes`` is false (then never).
    """

    route: str  # as enumerated: "app/aduan/<int:concern_id>/" or "POST /api/v1/visits"
    url: str  # formatted with the side's Records
    method: str = "get"
    data: Callable[[Records], dict | tuple[bytes, str]] | None = None
    ok: int = 200
    hidden: int = 404
    refused: int = 403
    anonymous: int | None = None  # default: 302 to log in (pages) or 401 (API)
    only: frozenset[str] | None = None
    role_first: bool = False
    public: bool = False  # anyone; no secret of either side in the answer
    sided: bool = True  # False: not about a record, asked once
    nobody: bool = False  # the URL mixes records (or names a draft): 404 for everyone
    marker: str | None = None
    state: Callable[[Records], object] | None = None
    changes: bool = True
    status: dict = field(default_factory=dict)  # persona or (persona, side) -> status, overriding
    fresh_client: bool = False  # the request changes its client (logs it out)

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def page(route: str, url: str | None = None, **kwargs) -> Check:
    return Check(route=route, url=url or "/" + route, **kwargs)


def public(route: str, url: str | None = None, **kwargs) -> Check:
    return page(route, url, public=True, **kwargs)


def listed(route: str, marker: str, url: str | None = None, **kwargs) -> Check:
    """A list or a form: 200 for every logged-in user; the record is in it when it is seen."""
    return page(route, url, marker=marker, hidden=200, **kwargs)


def api(method: str, path: str, url: str | None = None, **kwargs) -> Check:
    return Check(route=f"{method.upper()} {path}", url=url or path, method=method, **kwargs)


def api_listed(path: str, marker: str, url: str | None = None, **kwargs) -> Check:
    return api("get", path, url, marker=marker, hidden=200, **kwargs)


def count(model, **lookup) -> Callable[[Records], int]:
    """The number of ``model`` rows matching ``lookup`` (strings formatted with the record)."""

    def state(r: Records) -> int:
        return model.objects.filter(
            **{k: v.format_map(r) if isinstance(v, str) else v for k, v in lookup.items()}
        ).count()

    return state


def fields(model, key: str, *names: str) -> Callable[[Records], tuple]:
    """``names`` of the ``model`` row whose pk is the record's ``key``."""

    def state(r: Records) -> tuple:
        return tuple(model.objects.filter(pk=r[key]).values_list(*names).get())

    return state


def moment(hours_ago: float) -> str:
    return (timezone.now() - timedelta(hours=hours_ago)).isoformat()


def form_moment(hours_ago: float) -> str:
    """As a datetime-local field sends it: local time, no zone."""
    return timezone.localtime(timezone.now() - timedelta(hours=hours_ago)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def photo_upload(r: Records) -> tuple[bytes, str]:
    return encode_multipart(BOUNDARY, {"image": png()}), MULTIPART_CONTENT


EMPTY_FORMSETS = {
    f"{prefix}-{name}": "0"
    for prefix in ("p", "c", "i")
    for name in ("TOTAL_FORMS", "INITIAL_FORMS")
}
OF_UNIT = "?unit={unit_code}"
VISITS = count(Visit, site_id="{site}")
VISIT_PHOTOS = count(VisitPhoto, visit_id="{visit}")
CONCERNS = count(Concern, unit_id="{unit}")
INCIDENTS = count(Incident, unit_id="{unit}")
RELEASES = count(Release, unit_id="{unit}")
PLANS = count(PatrolPlan, unit_id="{unit}")
SITES = count(Site, unit_id="{unit}")
STOPS = count(PlanStop, plan_id="{plan}")
COMMENTS = count(Comment, release_id="{published}")
CONCERN = fields(Concern, "concern", "status", "unit_id", "updated_at")
DRAFT = fields(Release, "release", "title", "status", "updated_at")
HELD = fields(Comment, "held", "status")
PLAN = fields(PatrolPlan, "plan", "status", "approved_by")
STOP = fields(PlanStop, "stop", "plan_id", "team", "order")
COMMENT = {"name": "Pembaca", "email": "pembaca@warga.example", "body": "Mantap, lanjutkan."}

CHECKS: list[Check] = [
    # -- public pages -----------------------------------------------------------------------------
    public("", sided=False),
    public("lapor/", sided=False),
    # An empty report: the form again with its errors, nothing stored.
    public(
        "lapor/",
        method="post",
        data=lambda r: {},
        state=count(Concern),
        changes=False,
        sided=False,
    ),
    public("lapor/desa/", "/lapor/desa/?q=Bumi", sided=False),
    public("lapor/cari/", "/lapor/cari/?code={code}", ok=302),
    public("lapor/<str:code>/", "/lapor/{code}/", marker="{display_code}"),
    # Rating a concern that is not resolved: nothing to rate.
    public(
        "lapor/<str:code>/",
        "/lapor/{code}/",
        method="post",
        data=lambda r: {"rate": "1", "rate-rating": "5"},
        state=fields(Concern, "concern", "rating", "status"),
        changes=False,
    ),
    public(
        "lapor/<str:code>/foto/<int:photo_id>/<str:size>/",
        "/lapor/{code}/foto/{concern_photo}/thumb/",
    ),
    public(
        "lapor/<str:code>/foto/<int:photo_id>/<str:size>/",
        "/lapor/{code}/foto/{x[concern_photo]}/full/",
        nobody=True,
    ),
    # A confidential concern: its code shows the status only, never its text or photos.
    public("lapor/<str:code>/", "/lapor/{secret_code}/", marker="{secret_code}"),
    public(
        "lapor/<str:code>/foto/<int:photo_id>/<str:size>/",
        "/lapor/{secret_code}/foto/{secret_photo}/thumb/",
        nobody=True,
    ),
    public("berita/", marker="{published_title}"),
    public("berita/feed/", marker="{published_title}"),
    public("berita/<slug:slug>/", "/berita/{slug}/", marker="Terima kasih {tag}"),
    public("berita/<slug:slug>/", "/berita/{draft_slug}/", nobody=True),
    public(
        "berita/<slug:slug>/",
        "/berita/{slug}/",
        method="post",
        data=lambda r: COMMENT,
        ok=302,
        state=COMMENTS,
    ),
    public("sitemap.xml", marker="/berita/{slug}/"),
    public("open311/v2/discovery.<str:fmt>", "/open311/v2/discovery.json", sided=False),
    # Any other address under /open311/v2/: the spec's 404, for everyone.
    public("open311/v2/^.*$", "/open311/v2/nowhere.json", ok=404, sided=False),
    public("open311/v2/services.<str:fmt>", "/open311/v2/services.xml", sided=False),
    public(
        "open311/v2/services/<str:service_code>.<str:fmt>",
        "/open311/v2/services/hoaks.json",
        sided=False,
    ),
    public("open311/v2/requests.<str:fmt>", "/open311/v2/requests.json", marker="{code}"),
    # Creating a request needs an api_key: 403 without one, for everyone.
    public(
        "open311/v2/requests.<str:fmt>",
        "/open311/v2/requests.json",
        method="post",
        data=lambda r: {"service_code": "hoaks", "address_id": r.village, "description": "x"},
        ok=403,
        state=CONCERNS,
        changes=False,
    ),
    public(
        "open311/v2/requests/<str:service_request_id>.<str:fmt>",
        "/open311/v2/requests/{code}.xml",
        marker="{code}",
    ),
    public(  # confidential: not a public request
        "open311/v2/requests/<str:service_request_id>.<str:fmt>",
        "/open311/v2/requests/{secret_code}.json",
        nobody=True,
    ),
    public(
        "open311/v2/tokens/<str:token>.<str:fmt>", "/open311/v2/tokens/{code}.json", marker="{code}"
    ),
    public("masuk/", sided=False),
    public(
        "masuk/",
        method="post",
        sided=False,
        data=lambda r: {"username": "bhabin.bumiharapan", "password": "wrong"},
    ),
    public("keluar/", method="post", ok=302, sided=False, fresh_client=True),
    # The second step of a login: without a password step first, back to the login page.
    public("masuk/kode/", ok=302, sided=False),
    public("masuk/kode/", method="post", ok=302, sided=False, data=lambda r: {"code": "12345"}),
    # Forgot password: the same answer whether or not the address is known.
    public("masuk/lupa/", sided=False),
    public(
        "masuk/lupa/",
        method="post",
        ok=302,
        sided=False,
        data=lambda r: {"email": "kasiyono@polri.example"},
    ),
    public("masuk/lupa/terkirim/", sided=False),
    public("masuk/lupa/<uidb64>/<token>/", "/masuk/lupa/MQ/bukan-token/", sided=False),
    public("masuk/lupa/selesai/", sided=False),
    public("peta/batas/<str:code>.geojson", "/peta/batas/64.09.04.geojson", sided=False),
    public("healthz", sided=False),
    public("readyz", sided=False),
    # The installable app's shell (no data): a service worker must load without a session.
    public("app/manifest.webmanifest", sided=False),
    public("app/sw.js", sided=False),
    public("api/v1/openapi.json", sided=False),
    public("api/v1/docs", sided=False),
    public("api/v1/", ok=404, sided=False),  # django-ninja's root: nothing there
    # -- web app: home, dashboard, map, reports, exports (the unit is the record) ---------------
    page("app/", sided=False),
    page("app/dasbor/", "/app/dasbor/" + OF_UNIT),
    # Without a unit: the user's own; an officer without a unit has none.
    page("app/dasbor/", sided=False, status={"no_unit": 404}),
    *(
        page("app/peta/<slug:layer>.geojson", f"/app/peta/{layer}.geojson" + OF_UNIT)
        for layer in ("villages", "visits", "concerns", "incidents", "heat")
    ),
    listed(
        "app/peta/<slug:layer>.geojson",
        "/app/kunjungan/{visit}/",
        "/app/peta/visits.geojson",
        status={"no_unit": 404},
    ),
    listed(
        "app/peta/<slug:layer>.geojson",
        "{code}",
        "/app/peta/concerns.geojson",
        status={"no_unit": 404},
    ),
    page("app/reports/daily.pdf", "/app/reports/daily.pdf" + OF_UNIT),
    page("app/reports/daily.xlsx", "/app/reports/daily.xlsx" + OF_UNIT),
    page("app/reports/anev.pdf", "/app/reports/anev.pdf" + OF_UNIT),
    page("app/reports/anev.xlsx", "/app/reports/anev.xlsx" + OF_UNIT),
    *(
        page("app/exports/<slug:kind>.<slug:fmt>", f"/app/exports/{name}" + OF_UNIT)
        for name in ("visits.csv", "concerns.csv", "incidents.geojson", "sites.xlsx")
    ),
    listed(
        "app/exports/<slug:kind>.<slug:fmt>",
        "{code}",
        "/app/exports/concerns.csv",
        status={"no_unit": 404},
    ),
    listed(
        "app/exports/<slug:kind>.<slug:fmt>",
        "{incident}",
        "/app/exports/incidents.geojson",
        status={"no_unit": 404},
    ),
    # -- web app: patrols -------------------------------------------------------------------------
    page("app/kotak-keluar/", sided=False),
    # One's own account: the same page for everyone logged in, about oneself only.
    page("app/akun/", sided=False),
    page("app/akun/sandi/", sided=False),
    page("app/akun/2fa/", sided=False),
    page("app/akun/2fa/", method="post", sided=False, data=lambda r: {"code": "12345"}),
    # Without two-factor authentication on, nothing to do: back to its page.
    page("app/akun/2fa/kode-cadangan/", method="post", ok=302, sided=False),
    page("app/akun/2fa/matikan/", method="post", ok=302, sided=False),
    page("app/akun/token/", sided=False),
    page(
        "app/akun/token/",
        method="post",
        sided=False,
        marker="new-token",
        state=count(ApiToken, name="laptop"),
        data=lambda r: {"name": "laptop"},
    ),
    # Revoking a token: its owner only (the side's officer); anyone else 404.
    page(
        "app/akun/token/<int:token_id>/cabut/",
        "/app/akun/token/{token}/cabut/",
        method="post",
        nobody=True,
        status={("officer", "own"): 302, ("other_officer", "other"): 302},
    ),
    listed("app/hari-ini/", "{site_name}"),
    listed("app/kunjungan/", "/app/kunjungan/{visit}/"),
    listed("app/kunjungan/baru/", "{site_name}"),  # the site among the choices
    # A visit at the side's site: another unit's site is not among the choices (the form again).
    page(
        "app/kunjungan/baru/",
        method="post",
        ok=302,
        hidden=200,
        state=VISITS,
        data=lambda r: {
            "client_id": str(uuid.uuid4()),
            "site": r.site,
            "kind": "dialogic",
            "started_at": form_moment(1),
            "attendees": "5",
            **EMPTY_FORMSETS,
        },
    ),
    page("app/kunjungan/<uuid:visit_id>/", "/app/kunjungan/{visit}/"),
    page(
        "app/kunjungan/<uuid:visit_id>/foto/<uuid:photo_id>/<str:size>/",
        "/app/kunjungan/{visit}/foto/{photo}/thumb/",
    ),
    page(
        "app/kunjungan/<uuid:visit_id>/foto/<uuid:photo_id>/<str:size>/",
        "/app/kunjungan/{visit}/foto/{x[photo]}/full/",
        nobody=True,
    ),
    # -- web app: concerns ------------------------------------------------------------------------
    listed("app/aduan/", "{display_code}"),
    listed("app/aduan/", "{display_code}", "/app/aduan/?format=csv"),
    page("app/aduan/baru/", sided=False),
    # A concern in the side's village: "outside your unit's jurisdiction" (the form again).
    page(
        "app/aduan/baru/",
        method="post",
        ok=302,
        hidden=200,
        state=CONCERNS,
        data=lambda r: {
            "client_id": str(uuid.uuid4()),
            "category": r.category,
            "description": "Spanduk provokatif di pasar.",
            "village": r.village,
        },
    ),
    # Another unit's concern is not among those acted on: back to the queue, nothing changed.
    page(
        "app/aduan/massal/",
        method="post",
        ok=302,
        hidden=302,
        state=CONCERN,
        data=lambda r: {"ids": [r.concern], "action": "status:in_progress"},
    ),
    page("app/aduan/<int:concern_id>/", "/app/aduan/{concern}/"),
    page(
        "app/aduan/<int:concern_id>/",
        "/app/aduan/{concern}/",
        method="post",
        ok=302,
        state=CONCERN,
        data=lambda r: {"move": "1", "move-status": "in_progress", "move-public": "on"},
    ),
    # Handing the concern to the other Polsek: only for those who see both (for the Polsek's
    # own users the other unit is not a choice: the form again).
    page(
        "app/aduan/<int:concern_id>/",
        "/app/aduan/{concern}/",
        method="post",
        ok=302,
        state=CONCERN,
        data=lambda r: {"assign": "1", "assign-unit": r.x.unit},
        status={("officer", "own"): 200, ("kapolsek", "own"): 200, ("other_officer", "other"): 200},
    ),
    page(
        "app/aduan/<int:concern_id>/foto/<int:photo_id>/<str:size>/",
        "/app/aduan/{concern}/foto/{concern_photo}/thumb/",
    ),
    page(
        "app/aduan/<int:concern_id>/foto/<int:photo_id>/<str:size>/",
        "/app/aduan/{concern}/foto/{x[concern_photo]}/full/",
        nobody=True,
    ),
    # -- web app: newsroom (writers only; to anyone else it is not there: 404) --------------------
    listed("app/berita/", "{release_title}", only=WRITERS, role_first=True, refused=404),
    page(
        "app/berita/dari-kunjungan/<uuid:visit_id>/",
        "/app/berita/dari-kunjungan/{visit}/",
        method="post",
        ok=302,
        only=WRITERS,
        role_first=True,
        refused=404,
        state=RELEASES,
    ),
    page(
        "app/berita/<int:release_id>/",
        "/app/berita/{release}/",
        only=WRITERS,
        role_first=True,
        refused=404,
    ),
    page(
        "app/berita/<int:release_id>/",
        "/app/berita/{release}/",
        method="post",
        ok=302,
        only=WRITERS,
        role_first=True,
        refused=404,
        state=DRAFT,
        data=lambda r: {"action": "save", "title": "Judul baru", "body": "Isi.", "dateline": ""},
    ),
    listed("app/berita/komentar/", "Tertahan {tag}", only=WRITERS, role_first=True, refused=404),
    # Another unit's comment is not among those moderated: back to the list, nothing changed.
    page(
        "app/berita/komentar/",
        method="post",
        ok=302,
        hidden=302,
        only=WRITERS,
        role_first=True,
        refused=404,
        state=HELD,
        data=lambda r: {"status": "approved", "ids": [r.held]},
    ),
    # -- web app: incidents, risk, plans ----------------------------------------------------------
    listed("app/insiden/", "Insiden {tag}"),
    # At the side's site: another unit's site is not among the choices (the form again).
    page(
        "app/insiden/",
        method="post",
        ok=302,
        hidden=200,
        state=INCIDENTS,
        data=lambda r: {
            "client_id": str(uuid.uuid4()),
            "kind": "hoax",
            "severity": "green",
            "occurred_at": form_moment(1),
            "site": r.site,
            "description": "Hoaks di grup WhatsApp.",
        },
    ),
    # In the side's village: another unit's village is outside the jurisdiction (the form again).
    page(
        "app/insiden/",
        method="post",
        ok=302,
        hidden=200,
        state=INCIDENTS,
        data=lambda r: {
            "client_id": str(uuid.uuid4()),
            "kind": "hoax",
            "severity": "green",
            "occurred_at": form_moment(1),
            "village": r.village,
            "description": "Hoaks di grup WhatsApp.",
        },
    ),
    listed("app/risiko/", "{site_name}"),
    page("app/risiko/lokasi/<int:site_id>/", "/app/risiko/lokasi/{site}/"),
    listed("app/rencana/", "/app/rencana/{plan}/"),
    listed("app/rencana/cakupan/", "{lonely_name}"),
    page("app/rencana/cakupan/", "/app/rencana/cakupan/?unit={unit}"),
    page("app/rencana/baru/", sided=False),
    # A plan for the side's unit: another unit is not among the choices (the form again).
    page(
        "app/rencana/baru/",
        method="post",
        ok=302,
        hidden=200,
        state=PLANS,
        data=lambda r: {"unit": r.unit, "date": in_days(2), "teams": "1", "hours_per_team": "3"},
    ),
    page("app/rencana/<int:plan_id>/", "/app/rencana/{plan}/"),
    page(
        "app/rencana/<int:plan_id>/setujui/",
        "/app/rencana/{plan}/setujui/",
        method="post",
        ok=302,
        only=MANAGERS,
        state=PLAN,
    ),
    page(
        "app/rencana/<int:plan_id>/titik/<int:stop_id>/hapus/",
        "/app/rencana/{plan}/titik/{stop}/hapus/",
        method="post",
        ok=302,
        only=MANAGERS,
        state=STOPS,
    ),
    page(
        "app/rencana/<int:plan_id>/titik/<int:stop_id>/hapus/",
        "/app/rencana/{plan}/titik/{x[stop]}/hapus/",
        method="post",
        nobody=True,
        state=count(PlanStop, pk="{x[stop]}"),
    ),
    page(
        "app/rencana/<int:plan_id>/titik/<int:stop_id>/pindah/",
        "/app/rencana/{plan}/titik/{stop}/pindah/",
        method="post",
        ok=302,
        only=MANAGERS,
        data=lambda r: {"team": "1", "order": "0"},
    ),
    page(
        "app/rencana/<int:plan_id>/titik/<int:stop_id>/pindah/",
        "/app/rencana/{plan}/titik/{x[stop]}/pindah/",
        method="post",
        nobody=True,
        data=lambda r: {"team": "1", "order": "0"},
        state=lambda r: STOP(r.x),
    ),
    # -- API: accounts, units, regions, sites -----------------------------------------------------
    api(
        "post",
        "/api/v1/auth/token",
        public=True,
        sided=False,
        ok=401,
        data=lambda r: {"username": "bhabin.bumiharapan", "password": "wrong"},
    ),
    api(
        "post",
        "/api/v1/auth/token",
        public=True,
        sided=False,
        data=lambda r: {"username": "bhabin.bumiharapan", "password": PASSWORD},
    ),
    api("get", "/api/v1/me", sided=False),
    api_listed("/api/v1/units", '"code":"{unit_code}"'),
    api("get", "/api/v1/regions", "/api/v1/regions?parent=64.09", sided=False),
    api("get", "/api/v1/regions/{code}", "/api/v1/regions/64.09.04", sided=False),
    api_listed("/api/v1/sites", "{site_name}"),
    # A site in the side's village: "outside your unit's jurisdiction".
    api(
        "post",
        "/api/v1/sites",
        ok=201,
        hidden=422,
        state=SITES,
        data=lambda r: {"name": "Pasar Baru", "kind": "market", "village": r.village},
    ),
    api("get", "/api/v1/sites/{site_id}", "/api/v1/sites/{site}"),
    # -- API: patrols -----------------------------------------------------------------------------
    # A visit at the side's site: "Unknown site".
    api(
        "post",
        "/api/v1/visits",
        ok=201,
        hidden=422,
        state=VISITS,
        data=lambda r: {"id": str(uuid.uuid4()), "site": r.site, "started_at": moment(1)},
    ),
    # A stored visit's id again: answered with the stored visit only to those who may see it.
    api(
        "post",
        "/api/v1/visits",
        marker="Catatan dialog {tag}",
        state=VISITS,
        changes=False,
        data=lambda r: {"id": str(r.visit), "site": r.site, "started_at": moment(1)},
    ),
    api_listed("/api/v1/visits", "{visit}"),
    api("get", "/api/v1/visits/{visit_id}", "/api/v1/visits/{visit}"),
    api("get", "/api/v1/appeals", sided=False),
    # Each visit of a batch is answered on its own: another unit's site is "rejected".
    api(
        "post",
        "/api/v1/sync",
        marker='"status":"created"',
        hidden=200,
        state=VISITS,
        data=lambda r: {
            "visits": [{"id": str(uuid.uuid4()), "site": r.site, "started_at": moment(1)}]
        },
    ),
    # Another unit's visit id: "rejected", never "exists".
    api(
        "post",
        "/api/v1/sync",
        marker='"status":"exists"',
        hidden=200,
        state=VISITS,
        changes=False,
        data=lambda r: {"visits": [{"id": str(r.visit), "site": r.site, "started_at": moment(1)}]},
    ),
    api(
        "put",
        "/api/v1/visits/{visit_id}/photos/{photo_id}",
        "/api/v1/visits/{visit}/photos/" + str(uuid.uuid4()),
        ok=201,
        state=VISIT_PHOTOS,
        data=photo_upload,
    ),
    # The stored photo sent again (an interrupted upload): 200 with it.
    api(
        "put",
        "/api/v1/visits/{visit_id}/photos/{photo_id}",
        "/api/v1/visits/{visit}/photos/{photo}",
        state=VISIT_PHOTOS,
        changes=False,
        data=photo_upload,
    ),
    api_listed("/api/v1/coverage", '"key":"{unit}"'),  # the unit's own roll-up
    api("get", "/api/v1/coverage", "/api/v1/coverage?unit={unit}"),
    api_listed("/api/v1/coverage/sites", "{lonely_name}"),
    api("get", "/api/v1/coverage/sites", "/api/v1/coverage/sites?unit={unit}&status=never"),
    api("get", "/api/v1/coverage/cells", "/api/v1/coverage/cells?unit={unit}"),
    api_listed("/api/v1/plans", '"id":{plan},'),
    # A plan for the side's unit: "Unknown unit".
    api(
        "post",
        "/api/v1/plans",
        ok=201,
        hidden=422,
        state=PLANS,
        data=lambda r: {"unit": r.unit, "date": in_days(2), "teams": 1, "hours_per_team": 3},
    ),
    api("get", "/api/v1/plans/{plan_id}", "/api/v1/plans/{plan}"),
    api(
        "post",
        "/api/v1/plans/{plan_id}/approve",
        "/api/v1/plans/{plan}/approve",
        only=MANAGERS,
        state=PLAN,
    ),
    # -- API: concerns ----------------------------------------------------------------------------
    api("get", "/api/v1/categories", sided=False),
    api_listed("/api/v1/concerns", "{code}"),
    # A concern in the side's village: "outside your unit's jurisdiction".
    api(
        "post",
        "/api/v1/concerns",
        ok=201,
        hidden=422,
        state=CONCERNS,
        data=lambda r: {"category": "hoaks", "description": "Spanduk.", "village": r.village},
    ),
    api("get", "/api/v1/concerns/{concern_id}", "/api/v1/concerns/{concern}"),
    api(
        "post",
        "/api/v1/concerns/{concern_id}/transitions",
        "/api/v1/concerns/{concern}/transitions",
        state=CONCERN,
        data=lambda r: {"status": "in_progress", "note": "Ditangani."},
    ),
    api("get", "/api/v1/concerns/{concern_id}/events", "/api/v1/concerns/{concern}/events"),
    # -- API: elections ---------------------------------------------------------------------------
    api("get", "/api/v1/stages", sided=False),
    api_listed("/api/v1/incidents", "{incident}"),
    # At the side's site ("Unknown site"), then in its village ("outside your jurisdiction").
    api(
        "post",
        "/api/v1/incidents",
        ok=201,
        hidden=422,
        state=INCIDENTS,
        data=lambda r: {
            "kind": "hoax",
            "severity": "green",
            "occurred_at": moment(1),
            "site": r.site,
        },
    ),
    api(
        "post",
        "/api/v1/incidents",
        ok=201,
        hidden=422,
        state=INCIDENTS,
        data=lambda r: {
            "kind": "hoax",
            "severity": "green",
            "occurred_at": moment(1),
            "village": r.village,
        },
    ),
    api("get", "/api/v1/incidents/{incident_id}", "/api/v1/incidents/{incident}"),
    api_listed("/api/v1/risk/sites", "{site_name}"),
    api("get", "/api/v1/risk/sites/{site_id}", "/api/v1/risk/sites/{site}"),
    api_listed("/api/v1/risk/villages", '"village":"{village}"'),
    # -- API: newsroom ----------------------------------------------------------------------------
    # A draft written from the visit, returned and not stored.
    api(
        "post",
        "/api/v1/visits/{visit_id}/draft-release",
        "/api/v1/visits/{visit}/draft-release",
        only=WRITERS,
        role_first=True,
        state=RELEASES,
        changes=False,
    ),
    api_listed("/api/v1/releases", "{release_title}"),
    # A release about the side's visit: "Unknown visit".
    api(
        "post",
        "/api/v1/releases",
        ok=201,
        hidden=422,
        only=WRITERS,
        role_first=True,
        state=RELEASES,
        data=lambda r: {"title": "Berita baru", "body": "Isi.", "visit": str(r.visit)},
    ),
    api("get", "/api/v1/releases/{release_id}", "/api/v1/releases/{release}"),
    api(
        "patch",
        "/api/v1/releases/{release_id}",
        "/api/v1/releases/{release}",
        only=WRITERS,
        state=DRAFT,
        data=lambda r: {"title": "Judul baru"},
    ),
    api(
        "post",
        "/api/v1/releases/{release_id}/publish",
        "/api/v1/releases/{release}/publish",
        only=APPROVERS,
        state=DRAFT,
        data=lambda r: {},
    ),
    api(
        "post",
        "/api/v1/comments/{comment_id}/moderate",
        "/api/v1/comments/{held}/moderate",
        only=WRITERS,
        state=HELD,
        data=lambda r: {"status": "approved"},
    ),
    api("get", "/api/v1/public/releases", public=True, marker="{published_title}"),
    api(
        "get",
        "/api/v1/public/releases/{slug}",
        "/api/v1/public/releases/{slug}",
        public=True,
        marker="Terima kasih {tag}",
    ),
    api(
        "get",
        "/api/v1/public/releases/{slug}",
        "/api/v1/public/releases/{draft_slug}",
        public=True,
        nobody=True,
    ),
    api(
        "post",
        "/api/v1/public/releases/{slug}/comments",
        "/api/v1/public/releases/{slug}/comments",
        public=True,
        ok=201,
        state=COMMENTS,
        data=lambda r: COMMENT,
    ),
]


# -- running it ---------------------------------------------------------------------------------


def outcome(check: Check, persona: str, side: str) -> str:
    if persona == "anonymous" and not check.public:
        return "anonymous"
    allowed = check.only is None or persona in check.only
    if check.role_first and not allowed:
        return "refused"
    sees = check.public or not check.sided or side in SEES[persona]
    if check.nobody or not sees:
        return "hidden"
    return "ok" if allowed else "refused"


def expectation(check: Check, persona: str, side: str) -> tuple[int, str]:
    """(status, outcome); the outcome is "overridden" when the entry names the status."""
    for key in ((persona, side), persona):
        if key in check.status:
            return check.status[key], "overridden"
    result = outcome(check, persona, side)
    if result == "anonymous":
        return check.anonymous or (401 if check.api else 302), result
    return {"ok": check.ok, "hidden": check.hidden, "refused": check.refused}[result], result


@contextmanager
def rolled_back():
    """Whatever the request writes is undone afterwards (the test's transaction stays)."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


TEXT_TYPES = ("text/", "json", "xml", "javascript", "manifest")


def body_text(response) -> str:
    """The answer as text (streams read through); "" for images, PDF and spreadsheets."""
    # Reading a stream through closes it (the test client's wrapper); closing it again here
    # would send request_finished, which closes the database connection in a transaction.
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if any(kind in response.get("Content-Type", "") for kind in TEXT_TYPES):
        return data.decode("utf-8", "replace")
    return ""


def send(client: Client, check: Check, url: str, r: Records):
    method = getattr(client, check.method)
    if check.data is None:
        return method(url)
    data = check.data(r)
    if isinstance(data, tuple):
        body, content_type = data
        return method(url, body, content_type=content_type)
    if check.api:
        return method(url, json.dumps(data), content_type="application/json")
    return method(url, data)


def client_for(user, *, api: bool) -> Client:
    """A session for pages, a bearer token for the API; neither for anonymous (None)."""
    if user is None:
        return Client()
    if api:
        return api_client(user)
    client = Client()
    client.force_login(user)
    return client


def run(check: Check, persona: str, side: str, client: Client, records) -> list[str]:
    r = records[side]
    url = check.url.format_map(r)
    status, result = expectation(check, persona, side)
    where = f"{persona:13} {side:5} {check.method.upper():5} {url}"
    problems = []
    cache.clear()  # rate limits and login locks: every check starts without any
    with rolled_back():
        before = check.state(r) if check.state else None
        try:
            response = send(client, check, url, r)
        except Exception as exc:  # reported with the others
            return [f"{where}: raised {exc!r}"]
        text = body_text(response)
        after = check.state(r) if check.state else None
    if response.status_code != status:
        problems.append(f"{where}: {response.status_code}, expected {status} ({result})")
    elif result == "anonymous" and status == 302 and not response["Location"].startswith("/masuk/"):
        problems.append(f"{where}: sent to {response['Location']}, not to log in")
    if check.marker and response.status_code == 200 and result != "overridden":
        marker = check.marker.format_map(r)
        shown = marker in text
        if shown != (result == "ok"):
            problems.append(f"{where}: {marker!r} {'shown' if shown else 'not shown'} ({result})")
    if check.state:
        should_change = check.changes and result == "ok"
        if (before != after) != should_change:
            problems.append(
                f"{where}: {'changed' if before != after else 'unchanged'} ({result}): "
                f"{before!r} -> {after!r}"
            )
    unseen = SIDES if check.public else [s for s in SIDES if s not in SEES[persona]]
    for other in unseen:
        for secret in records[other]["secrets"]:
            if secret in text:
                problems.append(f"{where}: shows {secret!r} of {other}'s records")
    return problems


MATRIX = {"checks": 0, "routes": set(), "personas": set()}


@pytest.fixture(scope="module", autouse=True)
def matrix_size(request):
    """Says how big the matrix is once the module has run, past the output capture."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if MATRIX["checks"] and reporter is not None and capture is not None:
        sided = sum(check.sided for check in CHECKS)
        with capture.global_and_fixture_disabled():
            reporter.write("\n")
            reporter.write_line(
                f"authorization matrix: {len(MATRIX['routes'])} routes and API operations in "
                f"{len(CHECKS)} entries ({sided} asked about own and other, "
                f"{len(CHECKS) - sided} once) × {len(MATRIX['personas'])} personas = "
                f"{MATRIX['checks']} checks run"
            )


@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(world, records, persona):
    """Every entry of CHECKS as ``persona``, about Sepaku's records and Penajam's: every answer
    that differs from the table is listed."""
    user = None if persona == "anonymous" else getattr(world, persona)
    clients = {kind: client_for(user, api=kind) for kind in (False, True)}
    MATRIX["personas"].add(persona)
    problems = []
    for check in CHECKS:
        client = client_for(user, api=check.api) if check.fresh_client else clients[check.api]
        for side in SIDES if check.sided else SIDES[:1]:
            problems += run(check, persona, side, client, records)
            MATRIX["checks"] += 1
        MATRIX["routes"].add(check.route)
    assert not problems, f"{len(problems)} answers differ from the matrix:\n" + "\n".join(problems)


# -- every route has an entry -------------------------------------------------------------------


def test_every_route_has_an_entry():
    """Each route of the URL configuration and each operation of the OpenAPI document has an
    entry in CHECKS (or is excluded with its reason), and each entry still has its route."""
    operations = api_operations()
    api_paths = {path for _method, path in operations}
    wanted = {f"{method.upper()} {path}" for method, path in operations}
    new_admin_pages, admin_models = [], set()
    for route in url_routes():
        if route.startswith("admin/"):
            admin_models.add("/".join(route.split("/")[1:3]))
            if unknown_admin_route(route):
                new_admin_pages.append(route)
        elif not route.startswith(tuple(EXCLUDED)) and as_openapi_path(route) not in api_paths:
            wanted.add(route)
    entries = {check.route for check in CHECKS}
    problems = [f"no entry in CHECKS for the route {route!r}" for route in sorted(wanted - entries)]
    problems += [f"an entry for {route!r}, which is no route" for route in sorted(entries - wanted)]
    problems += [
        f"an admin page not in ADMIN_MODELS (decide who may see it): {route!r}"
        for route in sorted(new_admin_pages)
    ]
    problems += [
        f"ADMIN_MODELS names {model!r}, which has no admin pages"
        for model in sorted(ADMIN_MODELS - admin_models)
    ]
    assert not problems, "\n".join(problems)


# -- Django's admin -----------------------------------------------------------------------------


def test_admin_gate(world):
    """Every model page of the admin: a non-staff user is sent to the admin's login, staff
    without permissions get 403, a superuser gets the page."""
    staff = make_user("staf.polres", world.polres, "officer", is_staff=True)
    clients = {}
    for name, user in {"officer": world.officer, "staff": staff, "admin": world.admin}.items():
        clients[name] = Client()
        clients[name].force_login(user)
    clients["anonymous"] = Client()
    expected = {"anonymous": 302, "officer": 302, "staff": 403, "admin": 200}
    problems = []
    for model in admin.site._registry:
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        for name, client in clients.items():
            response = client.get(url)
            if response.status_code != expected[name]:
                problems.append(f"{name} {url}: {response.status_code}, expected {expected[name]}")
            elif response.status_code == 302 and not response["Location"].startswith(
                "/admin/login/"
            ):
                problems.append(f"{name} {url}: sent to {response['Location']}")
    assert clients["officer"].get("/admin/").status_code == 302
    assert not problems, "\n".join(problems)
