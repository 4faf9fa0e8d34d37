"""Site.latest_visit_at: the copy of each site's latest visit that coverage counts from."""

import uuid
from datetime import datetime

import pytest
from django.db.models import Max
from django.utils import timezone

from patroli.dashboard.figures import key_figures
from patroli.dashboard.scope import Scope
from patroli.patrols.coverage import VISITED, SiteStatuses, coverage_summary
from patroli.patrols.models import Visit
from patroli.sites.models import Site, refresh_latest_visits

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
