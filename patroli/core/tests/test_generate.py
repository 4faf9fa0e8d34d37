"""`patroli generate-national`: a synthetic country, exact, deterministic, streamed, on both
databases. At a tiny size: Penajam Paser Utara (4 districts, 54 villages)."""

import hashlib
import tracemalloc
from datetime import time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from patroli.concerns.models import TRACKING_ALPHABET, Concern, ConcernEvent
from patroli.core.generate import (
    STREAMED,
    Options,
    Progress,
    default_sizes,
    generate_country,
    plain_indexes,
)
from patroli.core.search import stems_column
from patroli.elections.models import Incident
from patroli.patrols.models import Dialogue, Participant, Visit
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import Officer, Unit

TINY = dict(regions_prefix="64.09", tps=300, visits=2000, concerns=300, incidents=50, days=30)
GENERATED = [
    Unit,
    Unit.regions.through,
    Officer,
    Site,
    Visit,
    Visit.officers.through,
    Dialogue,
    Dialogue.appeals.through,
    Participant,
    Concern,
    ConcernEvent,
    Incident,
]
WITA = ZoneInfo("Asia/Makassar")


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


class Rollback(Exception):
    pass


def checksums() -> dict[str, str]:
    """A digest of each generated table's rows in primary-key order, every column included."""
    sums = {}
    with connection.cursor() as cursor:
        for model in GENERATED:
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")  # noqa: S608
            sums[table] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return sums


def generated(measure=checksums, **options):
    """``measure()`` of a run, which is then rolled back: the next one starts from empty."""
    try:
        with transaction.atomic():
            summary = generate_country(options=Options(**{**TINY, **options}))
            result = measure(), summary
            raise Rollback
    except Rollback:
        return result


def test_the_command_makes_exactly_what_is_asked_with_a_progress_bar(db, ppu_regions_file):
    out, err = StringIO(), Terminal()
    call_command(
        "generate_national",
        *("--regions-prefix", "64.09", "--regions-file", str(ppu_regions_file)),
        *("--tps", "300", "--visits", "2000", "--concerns", "300", "--incidents", "50"),
        *("--days", "30", "--batch-size", "700"),
        stdout=out,
        stderr=err,
    )

    villages = Region.objects.filter(level=4).count()
    assert villages == 54  # imported from the file: the selection was missing
    assert Unit.objects.filter(level="polda").count() == 1
    assert Unit.objects.filter(level="polres").count() == 1
    assert Unit.objects.filter(level="polsek").count() == 4
    for polsek in Unit.objects.filter(level="polsek"):
        district = polsek.path.split("/")[-2].removeprefix("polsek-").replace("-", ".")
        assert list(polsek.regions.values_list("code", flat=True)) == [district]
        assert polsek.officers.count() == 3
    for unit in Unit.objects.all():
        assert unit.officers.filter(role="commander").count() == 1
    assert not any(o.has_usable_password() for o in Officer.objects.all())
    assert Site.objects.count() == villages + 300
    assert Site.objects.filter(kind=Site.Kind.PPS_OFFICE).count() == villages
    assert Visit.objects.count() == Dialogue.objects.count() == 2000
    assert Concern.objects.count() == 300
    assert Incident.objects.count() == 50
    # The TPS of a village are numbered from 1; sites belong to the Polsek of their district.
    for site in Site.objects.filter(kind=Site.Kind.TPS).select_related("unit")[:50]:
        assert site.unit.path.endswith(f"polsek-{site.village_id[:8].replace('.', '-')}/")

    text = err.getvalue()
    assert "\r" in text and "ETA" in text and "/s" in text
    lines = out.getvalue()
    assert "regions: 60 imported" in lines
    assert "visits: 2,000 in" in lines and "incidents: 50 in" in lines
    assert "peak memory (RSS)" in lines


def test_rows_are_what_the_app_would_have_written(db, regions):
    indexes = plain_indexes(STREAMED)
    assert len(indexes) > 10

    generate_country(options=Options(**TINY))

    assert plain_indexes(STREAMED) == indexes  # dropped for the load, built again after it
    radius = settings.PATROLI_CHECKIN_RADIUS_M
    crews = set(Visit.officers.through.objects.values_list("visit_id", "officer_id"))
    for visit in Visit.objects.select_related("site", "dialogue"):
        start = visit.started_at.astimezone(WITA).time()  # Kalimantan Timur keeps WITA
        assert time(7) <= start <= time(21), visit.started_at
        assert visit.ended_at > visit.started_at
        assert visit.unit_id == visit.site.unit_id
        assert visit.far_from_site == (visit.distance_m is not None and visit.distance_m > radius)
        assert (visit.pk, visit.recorded_by_id) in crews
        assert visit.dialogue.response in Dialogue.Response.values
        if hasattr(Visit, "search_columns"):
            from patroli.patrols.services import DialogueData, visit_search_text

            dialogue = visit.dialogue
            said = DialogueData(
                participants=[],
                topics=dialogue.topics,
                notes=dialogue.notes,
                statement=dialogue.statement,
            )
            assert visit.search_text == visit_search_text(visit.site, said)
            assert visit.search_stems == stems_column(visit.search_text)

    codes = list(Concern.objects.values_list("tracking_code", flat=True))
    assert len(set(codes)) == 300
    assert all(len(c) == 8 and set(c) <= set(TRACKING_ALPHABET) for c in codes)
    patrol = Concern.objects.filter(source=Concern.Source.PATROL)
    assert patrol.count() == 120 and not patrol.filter(visit__isnull=True).exists()
    for concern in Concern.objects.prefetch_related("events"):
        events = sorted(concern.events.all(), key=lambda e: (e.created_at, e.pk))
        assert (events[0].from_status, events[0].to_status) == ("", "received")
        moves = [e for e in events if e.kind == ConcernEvent.Kind.STATUS]
        for before, after in zip(moves, moves[1:], strict=False):
            assert after.to_status in Concern.TRANSITIONS[before.to_status]
        assert moves[-1].to_status == concern.status
        assert concern.updated_at == events[-1].created_at
        assert (concern.due_at is not None) == (concern.status in Concern.OPEN)
        assert concern.search_stems == stems_column(concern.description, concern.address)
    assert Concern.objects.filter(status=Concern.Status.RECEIVED).exists()  # yesterday's
    assert Concern.objects.filter(status=Concern.Status.CLOSED).exists()


def test_same_seed_same_rows_whatever_the_batch_size(db, regions):
    first, _ = generated(batch_size=500)
    again, _ = generated(batch_size=137)
    other, _ = generated(batch_size=500, seed=2)

    assert again == first
    assert other[Visit._meta.db_table] != first[Visit._meta.db_table]
    assert other[Concern._meta.db_table] != first[Concern._meta.db_table]


def test_memory_does_not_grow_with_the_size(db, regions):
    """Only a batch is held: five times the rows, about the same peak of Python memory (traced
    allocations: the process's RSS, printed at the end of a run, moves too little to see)."""

    def traced(**options) -> int:
        tracemalloc.start()
        try:
            generated(measure=lambda: None, batch_size=50, **options)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    generated(measure=lambda: None, visits=200, concerns=30, incidents=5)  # warm the caches
    small = traced(visits=300, concerns=45, incidents=10)
    large = traced(visits=1500, concerns=225, incidents=50)

    # Holding the rows would add megabytes (about 3 KB a visit with its dialogue and concerns).
    assert large < small * 1.3 + 512 * 1024, (small, large)
    assert large < 4 * 1024 * 1024


def test_a_database_with_data_is_refused(world):
    with pytest.raises(CommandError, match="already holds units.*fresh one"):
        call_command("generate_national", "--regions-prefix", "64.09", stdout=StringIO())
    assert not Visit.objects.exists()


def test_defaults_are_the_national_figures_scaled_to_the_selection():
    assert default_sizes(83_762).visits == 10_000_000
    assert default_sizes(83_762).tps == 820_161
    kaltim = default_sizes(1_038)
    assert (kaltim.tps, kaltim.visits, kaltim.concerns) == (10_164, 123_923, 24_785)


def test_without_a_terminal_one_line_per_stage():
    ticks = iter([0.0, 0.4, 0.8, 1.0])
    lines = []
    progress = Progress(line=lines.append, clock=lambda: next(ticks))
    progress.start("visits", 10)
    progress.advance(4)
    progress.advance(6)
    progress.finish("4 concerns raised on patrol")

    assert lines == ["visits: 10 in 1.0 s (10/s); 4 concerns raised on patrol"]


def test_without_a_terminal_a_long_stage_tells_its_progress_every_minute():
    ticks = iter([0.0, 30.0, 60.0, 90.0, 110.0, 130.0])
    lines = []
    progress = Progress(line=lines.append, clock=lambda: next(ticks))
    progress.start("visits", 1_000_000)
    for _ in range(4):
        progress.advance(200_000)
    progress.finish()

    assert lines == [
        "visits     [#########...............]  40.0% 400,000/1,000,000  6,667/s  ETA 1:30",
        "visits: 800,000 in 130.0 s (6,154/s)",
    ]
