"""Read replicas: safe requests to the dashboard and the public pages read from a replica, every
write and every other read from the primary.

The unit tests run the router and its middleware on any database without touching one. The
integration tests need PostgreSQL and a second, separate database as ``replica1``
(TEST_REPLICA_URL, set by .ci/run): different rows in each show which one a page read.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone

from patroli.core.db_router import (
    PIN_COOKIE,
    ReplicaReadsMiddleware,
    ReplicaRouter,
    current_replica,
)
from patroli.newsroom.models import Comment, Release
from patroli.newsroom.services import create_release, publish_release
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import ApiToken, Officer, Unit

ROOT = Path(__file__).resolve().parents[3]
REPLICAS = ["replica1", "replica2"]
router = ReplicaRouter()


@pytest.fixture
def replicas(settings):
    settings.PATROLI_DB_REPLICAS = REPLICAS


def serve(request, view):
    """``request`` through the middleware as Django runs it: process_view, then ``view``."""
    request.resolver_match = resolve(request.path_info)
    middleware = None

    def handler(request):
        middleware.process_view(request, view, (), {})
        return view(request)

    middleware = ReplicaReadsMiddleware(handler)
    return middleware(request)


def reads(request) -> tuple[list[str], HttpResponse]:
    """Where two reads of sites in ``request``'s view went, and its response."""
    seen = []

    def view(request):
        seen.extend([router.db_for_read(Site), router.db_for_read(Site)])
        return HttpResponse("ok")

    response = serve(request, view)
    return seen, response


GET = RequestFactory().get
POST = RequestFactory().post


@pytest.mark.parametrize(
    "path",
    [
        "/app/",
        "/app/dasbor/",
        "/app/peta/visits.geojson",
        "/app/reports/daily.pdf",
        "/app/exports/sites.csv",
        "/",
        "/berita/",
        "/berita/patroli-dialogis-bumi-harapan/",
        "/lapor/PTR-7K3M9Q/",
        "/open311/v2/requests.json",
        "/api/v1/public/releases",
        "/api/v1/public/releases/patroli-dialogis-bumi-harapan",
    ],
)
def test_safe_requests_to_dashboard_and_public_pages_read_from_one_replica(replicas, path):
    seen, response = reads(GET(path))
    assert seen[0] in REPLICAS
    assert seen[0] == seen[1]  # one page, one database
    assert PIN_COOKIE not in response.cookies
    assert router.db_for_write(Site) == "default"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/lapor/"),
        ("post", "/berita/patroli-dialogis-bumi-harapan/"),
        ("post", "/api/v1/public/releases/patroli-dialogis-bumi-harapan/comments"),
        ("post", "/open311/v2/requests.json"),
        ("get", "/lapor/"),
        ("get", "/app/aduan/"),
        ("get", "/app/berita/"),
        ("get", "/api/v1/concerns"),
        ("get", "/admin/"),
    ],
)
def test_writes_and_staff_work_read_from_the_primary(replicas, method, path):
    request = getattr(RequestFactory(), method)(path)
    seen, _response = reads(request)
    assert seen == ["default", "default"]


def test_every_read_after_a_write_goes_to_the_primary_and_the_browser_is_pinned(replicas):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Site))
        seen.append(router.db_for_write(Site))
        seen.append(router.db_for_read(Site))
        seen.append(router.db_for_read(Region))
        return HttpResponse("ok")

    response = serve(GET("/app/dasbor/"), view)
    assert seen[0] in REPLICAS
    assert seen[1:] == ["default", "default", "default"]
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
    assert cookie["httponly"]


def test_a_browser_that_just_wrote_reads_from_the_primary(replicas):
    request = GET("/berita/")
    request.COOKIES[PIN_COOKIE] = "1"
    seen, response = reads(request)
    assert seen == ["default", "default"]
    assert PIN_COOKIE not in response.cookies


def test_sessions_users_and_tokens_always_come_from_the_primary(replicas):
    seen = []

    def view(request):
        seen.extend(
            router.db_for_read(model) for model in (Session, Officer, ApiToken, ContentType)
        )
        seen.append(router.db_for_read(Unit))
        return HttpResponse("ok")

    serve(GET("/app/dasbor/"), view)
    assert seen[:4] == ["default"] * 4
    assert seen[4] in REPLICAS


def test_reads_in_a_transaction_go_to_the_primary(replicas, monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", True)
    seen, _response = reads(GET("/app/dasbor/"))
    assert seen == ["default", "default"]


def test_related_objects_are_read_where_their_instance_was(replicas):
    seen = []

    def view(request):
        user = Officer(pk=1)
        user._state.db = "default"
        seen.append(router.db_for_read(Unit, instance=user))
        seen.append(router.db_for_read(Unit))
        return HttpResponse("ok")

    serve(GET("/app/dasbor/"), view)
    assert seen[0] == "default"
    assert seen[1] in REPLICAS


def test_a_streamed_export_is_read_from_the_replica_after_the_view_returns(replicas):
    seen = []

    def rows():
        for _ in range(3):
            seen.append(router.db_for_read(Site))
            yield "row\n"

    response = serve(GET("/app/exports/sites.csv"), lambda request: StreamingHttpResponse(rows()))
    assert seen == []  # nothing produced yet: the view has returned
    assert b"".join(response.streaming_content) == b"row\nrow\nrow\n"
    assert seen[0] in REPLICAS and seen == seen[:1] * 3
    assert router.db_for_read(Site) == "default"  # the request is over


def test_outside_a_request_and_without_replicas_everything_is_the_primary(settings):
    assert router.db_for_read(Site) == "default"
    assert current_replica() is None
    settings.PATROLI_DB_REPLICAS = []
    seen, _response = reads(GET("/app/dasbor/"))
    assert seen == ["default", "default"]


def test_migrations_run_on_the_primary_only_and_relations_are_allowed():
    assert router.allow_migrate("default", "sites")
    assert not router.allow_migrate("replica1", "sites")
    assert router.allow_relation(Site(), Unit())


def test_settings_add_replicas_with_the_router_and_mirror_them_in_tests():
    code = (
        "import patroli.settings as s; "
        "print(sorted(s.DATABASES)); print(s.DATABASES['replica2']['HOST']); "
        "print(s.DATABASES['replica1']['TEST']); print(s.DATABASE_ROUTERS); "
        "print(s.MIDDLEWARE[-1]); print(s.PATROLI_DB_REPLICAS)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "k",
        "DATABASE_URL": "postgres://patroli@primary.example:5432/patroli",
        "DATABASE_REPLICA_URLS": "postgres://patroli@replica-a.example/patroli, "
        "postgres://patroli@replica-b.example/patroli",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "['default', 'replica1', 'replica2']",
        "replica-b.example",
        "{'MIRROR': 'default'}",
        "['patroli.core.db_router.ReplicaRouter']",
        "patroli.core.db_router.ReplicaReadsMiddleware",
        "['replica1', 'replica2']",
    ]


# -- Two real PostgreSQL databases ----------------------------------------------------------------

REPLICA = "replica1"
two_databases = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"]
    or REPLICA not in settings.DATABASES
    or settings.DATABASES[REPLICA].get("TEST", {}).get("MIRROR"),
    reason="needs PostgreSQL and a second database: set DATABASE_URL=postgres://… and "
    "TEST_REPLICA_URL=postgres://…/replica (.ci/run sets both)",
)
both_databases = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def routing(settings):
    """The router and its middleware on, as DATABASE_REPLICA_URLS turns them on."""
    settings.DATABASE_ROUTERS = ["patroli.core.db_router.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "patroli.core.db_router.ReplicaReadsMiddleware"]
    settings.PATROLI_DB_REPLICAS = [REPLICA]


def replicate(*models):
    """Copy every row of ``models`` from the primary to the replica, as replication would."""
    with transaction.atomic(using=REPLICA):
        for model in models:
            model.objects.using(REPLICA).bulk_create(list(model.objects.using("default").all()))


def replicate_world():
    replicate(Region, Unit, Unit.regions.through, Officer, Site)


@two_databases
@both_databases
def test_a_dashboard_export_reads_the_replica(world, routing):
    replicate_world()
    place = {"kind": Site.Kind.MARKET, "village_id": "64.09.04.2004", "unit_id": world.sepaku.pk}
    Site.objects.using(REPLICA).create(pk=900_001, name="Pasar Sepaku (replika)", **place)
    Site.objects.using("default").create(name="Pasar Sepaku (utama saja)", **place)
    client = Client()
    client.force_login(world.commander)

    response = client.get("/app/exports/sites.csv")

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Kantor PPS Desa Bumi Harapan" in body
    assert "Pasar Sepaku (replika)" in body
    assert "utama saja" not in body


@two_databases
@both_databases
def test_a_comment_is_written_to_the_primary_and_its_writer_then_reads_the_primary(world, routing):
    release = create_release(
        author=world.humas,
        unit=world.sepaku,
        title="Patroli dialogis di Desa Bumi Harapan",
        body="Polsek Sepaku menyambangi kantor PPS Desa Bumi Harapan.",
    )
    release = publish_release(release=release, actor=world.admin)
    replicate_world()
    replicate(Release)
    Release.objects.using(REPLICA).create(
        pk=900_001,
        unit_id=world.sepaku.pk,
        title="Rilis yang baru ada di replika",
        slug="rilis-replika",
        body="Hanya di replika.",
        status=Release.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        created_by_id=world.humas.pk,
    )
    reader = Client()
    assert "Rilis yang baru ada di replika" in reader.get("/berita/").content.decode()

    response = reader.post(
        f"/berita/{release.slug}/",
        {"name": "Warga Sepaku", "email": "warga@example.id", "body": "Terima kasih, Pak."},
    )

    assert response.status_code == 302
    assert Comment.objects.using("default").filter(release=release).count() == 1
    assert not Comment.objects.using(REPLICA).exists()
    assert PIN_COOKIE in response.cookies
    # The writer reads the primary for a few seconds (its comment shows at once)...
    assert "Rilis yang baru ada di replika" not in reader.get("/berita/").content.decode()
    # ...everyone else still reads the replica.
    assert "Rilis yang baru ada di replika" in Client().get("/berita/").content.decode()


@two_databases
@both_databases
def test_coverage_sql_reads_where_the_orm_would(world, routing):
    """Coverage writes its SQL by hand: it still asks the router, so within a request that may
    read a replica it counts the replica's sites, and the primary's otherwise."""
    from patroli.core import db_router
    from patroli.patrols.coverage import SiteStatuses, coverage_summary

    replicate_world()
    place = {"kind": Site.Kind.MARKET, "village_id": "64.09.04.2004", "unit_id": world.sepaku.pk}
    Site.objects.using(REPLICA).create(pk=900_001, name="Pasar Sepaku (replika)", **place)
    primary = coverage_summary(world.sepaku).total.total
    token = db_router._current.set(db_router._Reads(replica=REPLICA))
    try:
        assert coverage_summary(world.sepaku).total.total == primary + 1
        names = [s.site.name for s in SiteStatuses(world.sepaku)[:]]
        assert "Pasar Sepaku (replika)" in names
    finally:
        db_router._current.reset(token)
    assert coverage_summary(world.sepaku).total.total == primary
