"""Site.latest_visit_at: the copy of each site's latest visit that coverage counts from."""

import threading
import time
import uuid
from datetime import datetime

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from patroli.dashboard.figures import key_figures
from patroli.dashboard.scope import Scope
from patroli.patrols.coverage import VISITED, SiteStatuses, coverage_summary
from patroli.patrols.models import Visit
from patroli.sites.models import Site, note_visits, refresh_latest_visits

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=TZ)


def latest(site) -> datetime | None:
    return Site.objects.get(pk=site.pk).latest_visit_at


def sync(client, site, started: datetime) -> str:
    ident = str(uuid.uuid4())
    body = {"visits": [{"id": ident, "site": site.pk, "started_at": started.isoformat()}]}
    response = client.post("/api/v1/sync", body, content_type="application/json")
    assert response.json()["results"][0]["status"] == "created"
    return ident


def test_visits_move_it_forward_and_never_back(world, api):
    client = api(world.officer)
    assert latest(world.pps_bumi) is None
    sync(client, world.pps_bumi, at(20))
    assert latest(world.pps_bumi) == at(20)
    sync(client, world.pps_bumi, at(22))
    sync(client, world.pps_bumi, at(21))  # an older visit synced late
    assert latest(world.pps_bumi) == at(22)
    post = client.post(
        "/api/v1/visits",
        {"site": world.pps_bumi.pk, "started_at": at(23).isoformat()},
        content_type="application/json",
    )
    assert post.status_code == 201
    assert latest(world.pps_bumi) == at(23)
    assert latest(world.tps_bumi) is None


def test_a_deleted_or_moved_visit_is_counted_again(world):
    first = Visit.objects.create(
        site=world.pps_bumi, unit=world.sepaku, recorded_by=world.officer, started_at=at(20)
    )
    second = Visit.objects.create(
        site=world.pps_bumi, unit=world.sepaku, recorded_by=world.officer, started_at=at(22)
    )
    assert latest(world.pps_bumi) == at(22)
    second.site = world.tps_bumi  # moved to another site (the admin)
    second.save()
    assert (latest(world.pps_bumi), latest(world.tps_bumi)) == (at(20), at(22))
    second.delete()
    assert latest(world.tps_bumi) is None
    first.started_at = at(19)  # moved back in time
    first.save()
    assert latest(world.pps_bumi) == at(19)


def test_refresh_reads_the_visits(world):
    for day in (18, 21):
        Visit.objects.create(
            site=world.tps_bumi, unit=world.sepaku, recorded_by=world.officer, started_at=at(day)
        )
    Site.objects.update(latest_visit_at=None)  # as after a bulk load
    assert refresh_latest_visits() == Site.objects.count()
    stored = dict(Site.objects.values_list("pk", "latest_visit_at"))
    counted = dict(
        Visit.objects.values("site").annotate(m=Max("started_at")).values_list("site", "m")
    )
    assert stored == {pk: counted.get(pk) for pk in stored}


def test_a_past_moment_counts_only_the_visits_before_it(world):
    """The copy holds the latest visit; a report as of an earlier moment must not count it."""
    for day in (10, 22):
        Visit.objects.create(
            site=world.pps_bumi, unit=world.sepaku, recorded_by=world.officer, started_at=at(day)
        )
    now = at(16)  # between the two visits: visited 6 days before, within 7 days
    result = coverage_summary(world.sepaku, days=7, now=now)
    assert (result.total.visited, result.total.never) == (1, 1)
    visited = SiteStatuses(world.sepaku, days=7, now=now, status=VISITED)[:]
    assert [(s.site.pk, s.last_visit_at) for s in visited] == [(world.pps_bumi.pk, at(10))]
    alone = coverage_summary(world.sepaku, days=5, now=now)  # 6 days ago: overdue
    assert (alone.total.visited, alone.total.overdue, alone.total.never) == (0, 1, 1)
    assert [s.last_visit_at for s in alone.left_alone] == [None, at(10)]
    before_any = coverage_summary(world.sepaku, days=7, now=at(9))
    assert before_any.total.never == 2
    day = at(16).date()  # the dashboard of that day: the 7 days up to its end
    scope = Scope(user=world.kapolsek, unit=world.sepaku, start=day, end=day)
    assert key_figures(scope).coverage_pct == 50.0


def test_editing_a_site_keeps_the_latest_visit(world, api):
    """A site read before a visit and saved after it (the admin, the importer) must not write
    back the value it read."""
    stale = Site.objects.get(pk=world.pps_bumi.pk)
    sync(api(world.officer), world.pps_bumi, at(22))
    stale.name = "Kantor PPS Bumi Harapan (baru)"
    stale.save()
    fresh = Site.objects.get(pk=world.pps_bumi.pk)
    assert (fresh.name, fresh.latest_visit_at) == ("Kantor PPS Bumi Harapan (baru)", at(22))


def test_the_refresh_command(world, capsys):
    from django.core.management import call_command

    Visit.objects.create(
        site=world.tps_bumi, unit=world.sepaku, recorded_by=world.officer, started_at=at(21)
    )
    Site.objects.update(latest_visit_at=None)
    call_command("refresh_latest_visits")
    assert f"sites: {Site.objects.count()} refreshed" in capsys.readouterr().out
    assert latest(world.tps_bumi) == at(21)


def test_an_outbox_moves_each_of_its_sites_to_its_newest_visit(world, api):
    """One sync naming several sites, each in its own case, all in one batch (on PostgreSQL,
    one statement for all of them)."""
    tps_2 = Site.objects.create(
        name="TPS 002 Desa Bumi Harapan",
        kind=Site.Kind.TPS,
        village_id="64.09.04.2004",
        unit=world.sepaku,
        tps_number=2,
    )
    Site.objects.filter(pk=world.tps_bumi.pk).update(latest_visit_at=at(25))  # newer: stays
    Site.objects.filter(pk=tps_2.pk).update(latest_visit_at=at(10))  # older: moves
    visits = [
        (world.pps_bumi, at(21)),
        (tps_2, at(12)),
        (world.tps_bumi, at(20)),
        (world.pps_bumi, at(23)),  # the newest of the site's two
        (tps_2, at(11)),
        (world.pps_bumi, at(22)),
    ]
    body = {
        "visits": [
            {"id": str(uuid.uuid4()), "site": site.pk, "started_at": started.isoformat()}
            for site, started in visits
        ]
    }
    response = api(world.officer).post("/api/v1/sync", body, content_type="application/json")
    assert [r["status"] for r in response.json()["results"]] == ["created"] * len(visits)
    assert latest(world.pps_bumi) == at(23)
    assert latest(world.tps_bumi) == at(25)
    assert latest(tps_2) == at(12)
    assert latest(world.pps_penajam) is None


@pytest.mark.django_db(transaction=True)
def test_several_sites_are_locked_in_the_order_of_their_ids(world):
    """Two outboxes that share sites lock them in one order, so neither waits for the other
    while holding what the other needs (a deadlock). Here another transaction holds the site
    of the higher id: a batch naming it first must already hold the lower one while it waits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole database for a write")
    low, high = sorted([world.pps_bumi, world.tps_bumi], key=lambda site: site.pk)
    # The lower site's row rewritten, so that the table's order puts it after the higher one:
    # a plan reading the table in its own order, not the ids', then meets the higher first.
    Site.objects.filter(pk=low.pk).update(name=F("name"))
    visits = [Visit(site=site, started_at=at(20)) for site in (high, low)]

    def another():
        conn = psycopg.connect(**connection.get_connection_params())
        conn.autocommit = False
        return conn

    holder, prober = another(), another()
    holder.execute("SELECT 1 FROM sites_site WHERE id = %s FOR UPDATE", [high.pk])
    failed = []

    def write():
        try:
            with transaction.atomic():
                note_visits(visits)
        except Exception as error:  # told to the test below
            failed.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(200):  # until the batch waits for a lock (at most 10 s)
            waiting = prober.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ).fetchone()[0]
            prober.rollback()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the batch never waited for the held site"
        with pytest.raises(psycopg.errors.LockNotAvailable):
            prober.execute("SELECT 1 FROM sites_site WHERE id = %s FOR UPDATE NOWAIT", [low.pk])
    finally:
        holder.rollback()
        writer.join(10)
        holder.close()
        prober.close()
    assert not failed
    assert (latest(low), latest(high)) == (at(20), at(20))


@pytest.mark.django_db(transaction=True)
def test_a_site_is_locked_as_an_update_locks_it_also_when_it_stays(world):
    """Held by the batch until its commit, also when its latest visit does not move; but not
    against a foreign key's check of a row that refers to it (another writer's commit: a visit
    or a concern at the same site), which an UPDATE of the row does not block either."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole database for a write")
    site = world.pps_bumi
    Site.objects.filter(pk=site.pk).update(latest_visit_at=at(25))
    prober = psycopg.connect(**connection.get_connection_params())
    try:
        with transaction.atomic():
            note_visits([Visit(site=site, started_at=at(20))])  # older: the value stays
            lock = "SELECT 1 FROM sites_site WHERE id = %s FOR {} NOWAIT"
            prober.execute(lock.format("KEY SHARE"), [site.pk])  # a foreign key's check
            prober.rollback()
            with pytest.raises(psycopg.errors.LockNotAvailable):
                prober.execute(lock.format("NO KEY UPDATE"), [site.pk])
            prober.rollback()
    finally:
        prober.close()
    assert latest(site) == at(25)
