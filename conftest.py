"""Shared test fixtures: a small real slice of the region file and named personas.

The personas: an officer of Polsek Sepaku, an officer of Polsek Penajam (the sibling unit), the
Kapolsek of Sepaku, the commander of Polres Penajam Paser Utara above both, a humas of the Polres,
and an administrator.
"""

import gzip
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from patroli.regions.importer import DEFAULT_FILE, import_regions
from patroli.sites.models import Site
from patroli.units.models import ApiToken, Officer, Unit

PASSWORD = "s3cret-Patroli"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and login locks live in the cache: every test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def ppu_regions_file(tmp_path_factory):
    """The rows of Kalimantan Timur's Penajam Paser Utara from the shipped file (60 rows)."""
    path = tmp_path_factory.mktemp("regions") / "ppu.csv"
    with gzip.open(DEFAULT_FILE, "rt", encoding="utf-8") as src, path.open("w") as out:
        for i, line in enumerate(src):
            if i == 0 or line.startswith(("64,", "64.09,", "64.09.")):
                out.write(line)
    return path


@pytest.fixture
def regions(db, ppu_regions_file):
    result = import_regions(ppu_regions_file)
    assert result.ok, result.errors
    return result


def make_user(username, unit, role, rank="Aipda", **extra):
    user = Officer(username=username, unit=unit, role=role, rank=rank, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def world(regions):
    polda = Unit.objects.create(code="polda-kaltim", name="Polda Kalimantan Timur", level="polda")
    polres = Unit.objects.create(
        code="polres-ppu", name="Polres Penajam Paser Utara", level="polres", parent=polda
    )
    sepaku = Unit.objects.create(
        code="polsek-sepaku", name="Polsek Sepaku", level="polsek", parent=polres
    )
    penajam = Unit.objects.create(
        code="polsek-penajam", name="Polsek Penajam", level="polsek", parent=polres
    )
    polda.regions.set(["64"])
    polres.regions.set(["64.09"])
    sepaku.regions.set(["64.09.04"])
    penajam.regions.set(["64.09.01"])
    pps_bumi = Site.objects.create(
        name="Kantor PPS Desa Bumi Harapan",
        kind=Site.Kind.PPS_OFFICE,
        village_id="64.09.04.2004",
        unit=sepaku,
        lat=-0.923927,
        lng=116.583091,
    )
    tps_bumi = Site.objects.create(
        name="TPS 001 Desa Bumi Harapan",
        kind=Site.Kind.TPS,
        village_id="64.09.04.2004",
        unit=sepaku,
        tps_number=1,
        voters=326,
    )
    pps_penajam = Site.objects.create(
        name="Kantor PPS Kelurahan Petung",
        kind=Site.Kind.PPS_OFFICE,
        village_id="64.09.01.1003",
        unit=penajam,
        lat=-1.339233,
        lng=116.638177,
    )
    return SimpleNamespace(
        polda=polda,
        polres=polres,
        sepaku=sepaku,
        penajam=penajam,
        pps_bumi=pps_bumi,
        tps_bumi=tps_bumi,
        pps_penajam=pps_penajam,
        officer=make_user("bhabin.bumiharapan", sepaku, "officer", first_name="Rahmat"),
        kapolsek=make_user("kasiyono", sepaku, "commander", rank="AKP", first_name="Kasiyono"),
        other_officer=make_user("officer.penajam", penajam, "officer", rank="Brigpol"),
        commander=make_user("kapolres.ppu", polres, "commander", rank="AKBP"),
        humas=make_user("humas.ppu", polres, "humas", rank="Ipda"),
        admin=make_user("admin", None, "admin", rank="", is_superuser=True, is_staff=True),
        no_unit=make_user("nobody", None, "officer"),
    )


def api_client(user) -> Client:
    """A client that speaks to the API with a fresh bearer token of ``user``."""
    _, raw = ApiToken.issue(user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def api():
    return api_client


@pytest.fixture
def libraries(transactional_db):
    """The appeal, category, holiday and election-stage libraries, which data migrations load.

    A transactional test empties every table when it ends, so when another one ran first they
    are gone; load them again (the loaders update or create). serialized_rollback would be the
    textbook answer, but it breaks on the content types that the flush of a transactional test
    without it has re-created.
    """
    for module in (
        "patroli.patrols.migrations.0003_appeal_library",
        "patroli.concerns.migrations.0003_categories",
        "patroli.core.migrations.0002_holidays",
        "patroli.elections.migrations.0002_stages",
    ):
        importlib.import_module(module).load(apps, None)
