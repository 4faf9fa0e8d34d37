"""The risk engine: factors and contributions, baselines up the region tree, decay, stages,
monotonicity, storing every score, and the baseline importer."""

import importlib
import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from patroli.concerns.models import Category, Concern
from patroli.elections import risk
from patroli.elections.baseline import import_baselines
from patroli.elections.models import Incident, RiskBaseline, RiskScore
from patroli.elections.risk import Signals, combine, score_site
from patroli.patrols.models import Visit
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
VOTING_DAY = datetime(2024, 2, 14, 12, 0, tzinfo=WITA)
CAMPAIGN_DAY = datetime(2024, 1, 23, 12, 0, tzinfo=WITA)
QUIET_YEAR_DAY = datetime(2025, 6, 1, 12, 0, tzinfo=WITA)
BUMI = "64.09.04.2004"


@pytest.fixture(autouse=True)
def full_baseline(settings):
    """These cases were computed with the baseline at full weight (baseline_scale 1)."""
    settings.PATROLI_RISK_WEIGHTS = {
        **getattr(settings, "PATROLI_RISK_WEIGHTS", {}),
        "baseline_scale": 1.0,
    }


@pytest.fixture
def loaded(db):
    """Categories and stages (data migrations; a transactional test elsewhere may have emptied
    them). Their loaders update or create."""
    for module in (
        "patroli.concerns.migrations.0003_categories",
        "patroli.elections.migrations.0002_stages",
    ):
        importlib.import_module(module).load(apps, None)


def by_name(result) -> dict[str, dict]:
    return {f["name"]: f for f in result.factors}


def contributions(result) -> dict[str, float]:
    return {f["name"]: f["contribution"] for f in result.factors}


def assert_adds_up(result):
    assert round(sum(f["contribution"] for f in result.factors), 2) == pytest.approx(result.score)
    assert 0 <= result.score <= 100
    for f in result.factors:
        assert set(f) >= {"name", "label", "value", "contribution"}
        assert f["label"]


def concern(
    site,
    severity="medium",
    *,
    overdue=False,
    now=VOTING_DAY,
    status="received",
    village=None,
    unit=None,
):
    category = Category.objects.filter(severity=severity).first()
    return Concern.objects.create(
        source=Concern.Source.STAFF,
        category=category,
        description="Warga melaporkan pembagian uang.",
        village_id=village or site.village_id,
        site=site,
        unit=unit or site.unit,
        status=status,
        due_at=now - timedelta(days=1) if overdue else now + timedelta(days=3),
    )


def incident(site, severity="yellow", *, at=VOTING_DAY, village=None, unit=None):
    return Incident.objects.create(
        kind=Incident.Kind.MONEY_POLITICS,
        severity=severity,
        occurred_at=at,
        site=site,
        village_id=village or site.village_id,
        unit=unit or site.unit,
    )


def visit(site, user, at):
    return Visit.objects.create(site=site, unit=site.unit, recorded_by=user, started_at=at)


# Pure arithmetic: exact contributions on hand-built signals.


def test_hand_built_case_without_baseline_or_stage():
    signals = Signals(
        village=BUMI,
        concerns={"high": 1, "low": 2},
        overdue=1,
        incidents=[("red", 0.0), ("yellow", 14.0)],
        days_since_visit=12,
        voters=326,
    )
    result = combine(signals)

    assert contributions(result) == {
        "no_baseline": 30.0,
        "open_concerns": 14.0,  # 10 + 2 × 2
        "overdue_concerns": 3.0,
        "incidents": 19.0,  # 15 now + 8 halved after one half-life
        "days_since_visit": 4.0,  # 10 × 12 / 30
        "voters": 3.26,
        "stage_multiplier": 0.0,
    }
    values = {f["name"]: f["value"] for f in result.factors}
    assert values == {
        "no_baseline": None,
        "open_concerns": 3,
        "overdue_concerns": 1,
        "incidents": 2,
        "days_since_visit": 12,
        "voters": 326,
        "stage_multiplier": 1.0,
    }
    assert result.score == 73.26
    assert result.level == "high"
    assert_adds_up(result)


def test_hand_built_case_with_baseline_and_voting_day():
    signals = Signals(
        village=BUMI,
        baseline=42.5,
        baseline_detail="Penajam Paser Utara (64.09)",
        days_since_visit=0,
        stage_kind="voting",
        stage_name="Pemungutan suara Pemilu 2024",
    )
    result = combine(signals)
    factors = by_name(result)

    assert factors["baseline"]["contribution"] == 42.5
    assert factors["baseline"]["detail"] == "Penajam Paser Utara (64.09)"
    assert factors["days_since_visit"]["contribution"] == 0.0  # visited today
    assert factors["voters"] == {**factors["voters"], "value": None, "contribution": 0.0}
    assert factors["stage_multiplier"]["value"] == 1.3
    assert factors["stage_multiplier"]["contribution"] == 12.75  # 0.3 × 42.5
    assert factors["stage_multiplier"]["detail"] == "Pemungutan suara Pemilu 2024"
    assert result.score == 55.25
    assert result.level == "medium"
    assert_adds_up(result)


def test_caps_and_the_ceiling_keep_the_sum_equal_to_the_score():
    signals = Signals(
        village=BUMI,
        baseline=90.0,
        concerns={"high": 10},
        overdue=10,
        incidents=[("red", 0.0)] * 10,
        voters=5000,
        stage_kind="voting",
    )
    result = combine(signals)
    c = contributions(result)

    assert c["open_concerns"] == 30.0 and c["overdue_concerns"] == 15.0
    assert c["incidents"] == 40.0 and c["voters"] == 5.0 and c["days_since_visit"] == 10.0
    assert c["ceiling"] < 0
    assert result.score == 100.0 and result.level == "high"
    assert_adds_up(result)


def test_levels_follow_the_thresholds():
    assert risk.level_for(39.99) == "low"
    assert risk.level_for(40) == "medium"
    assert risk.level_for(69.99) == "medium"
    assert risk.level_for(70) == "high"


def test_weights_come_from_settings_and_merge_with_the_defaults(settings):
    settings.PATROLI_RISK_WEIGHTS = {
        "baseline_scale": 1.0,
        "concern_points": {"high": 20},
        "levels": {"medium": 10},
    }
    result = combine(Signals(village=BUMI, concerns={"high": 1, "low": 1}, days_since_visit=0))

    assert contributions(result)["open_concerns"] == 22.0  # 20 + the default 2 for low
    assert result.score == 52.0 and result.level == "medium"


def test_baseline_scale(settings):
    settings.PATROLI_RISK_WEIGHTS = {"baseline_scale": 0.5}
    factor = by_name(combine(Signals(village=BUMI, baseline=77.0, days_since_visit=0)))["baseline"]
    assert (factor["value"], factor["contribution"]) == (77.0, 38.5)
    factor = by_name(combine(Signals(village=BUMI, days_since_visit=0)))["no_baseline"]
    assert factor["contribution"] == 15.0


# From the database.


def test_site_without_anything_has_the_neutral_baseline_and_never_visited(world, loaded):
    result = score_site(world.pps_bumi, now=QUIET_YEAR_DAY)

    assert contributions(result) == {
        "no_baseline": 30.0,
        "open_concerns": 0.0,
        "overdue_concerns": 0.0,
        "incidents": 0.0,
        "days_since_visit": 10.0,
        "voters": 0.0,
        "stage_multiplier": 0.0,
    }
    assert by_name(result)["days_since_visit"]["value"] is None
    assert result.score == 40.0 and result.level == "medium"


def test_signals_gathered_at_a_site(world, loaded):
    site, now = world.tps_bumi, QUIET_YEAR_DAY
    concern(site, "high", now=now)
    concern(site, "low", overdue=True, now=now)
    concern(site, "high", status=Concern.Status.RESOLVED, now=now)  # closed: not counted
    concern(world.pps_bumi, "high", now=now)  # another site of the same village
    incident(site, "red", at=now - timedelta(days=14))
    incident(site, "green", at=now + timedelta(days=1))  # after `now`: not counted
    visit(site, world.officer, now - timedelta(days=3))
    visit(site, world.officer, now - timedelta(days=20))

    result = score_site(site, now=now)
    c = contributions(result)
    values = {f["name"]: f["value"] for f in result.factors}

    assert (values["open_concerns"], c["open_concerns"]) == (2, 12.0)
    assert (values["overdue_concerns"], c["overdue_concerns"]) == (1, 3.0)
    assert (values["incidents"], c["incidents"]) == (1, 7.5)
    assert (values["days_since_visit"], c["days_since_visit"]) == (3, 1.0)
    assert (values["voters"], c["voters"]) == (326, 3.26)
    assert result.score == round(30 + 12 + 3 + 7.5 + 1 + 3.26, 2)
    assert_adds_up(result)


def test_days_since_visit_count_local_dates(world, loaded):
    # 07:00 local on the day: a visit the evening before is one day ago, one at 06:00 is today.
    now = datetime(2025, 6, 1, 7, 0, tzinfo=WITA)
    visit(world.pps_bumi, world.officer, datetime(2025, 5, 31, 22, 0, tzinfo=WITA))
    assert by_name(score_site(world.pps_bumi, now=now))["days_since_visit"]["value"] == 1
    visit(world.pps_bumi, world.officer, datetime(2025, 6, 1, 6, 0, tzinfo=WITA))
    assert by_name(score_site(world.pps_bumi, now=now))["days_since_visit"]["value"] == 0


def baseline(code, sp, adm, con, par):
    return RiskBaseline.objects.create(
        region_id=code, social_political=sp, administration=adm, contestation=con, participation=par
    )


def test_baseline_inherited_from_the_regency_then_the_nearer_district(world, loaded):
    baseline("64", 10, 10, 10, 10)
    baseline("64.09", 80, 70, 60, 90)
    factor = by_name(score_site(world.pps_bumi, now=QUIET_YEAR_DAY))["baseline"]
    assert (factor["value"], factor["contribution"]) == (75.0, 75.0)
    assert factor["detail"].endswith("(64.09)")

    baseline("64.09.04", 20, 30, 40, 50)
    factor = by_name(score_site(world.pps_bumi, now=QUIET_YEAR_DAY))["baseline"]
    assert (factor["value"], factor["detail"][-10:]) == (35.0, "(64.09.04)")
    # Penajam's village inherits the regency's, not Sepaku's district's.
    factor = by_name(score_site(world.pps_penajam, now=QUIET_YEAR_DAY))["baseline"]
    assert factor["value"] == 75.0


def test_baseline_of_the_province_when_nothing_nearer(world, loaded):
    baseline("64", 60, 60, 60, 60)
    assert by_name(score_site(world.pps_bumi, now=QUIET_YEAR_DAY))["baseline"]["value"] == 60.0


def test_dimension_weights(world, loaded, settings):
    baseline(BUMI, 100, 0, 0, 0)
    settings.PATROLI_RISK_WEIGHTS = {"dimensions": {"social_political": 2.0}}
    assert by_name(score_site(world.pps_bumi, now=QUIET_YEAR_DAY))["baseline"]["value"] == 40.0


def test_an_old_incident_counts_less_than_a_new_one(world, loaded):
    now = QUIET_YEAR_DAY
    incident(world.pps_bumi, "red", at=now - timedelta(hours=1))
    incident(world.tps_bumi, "red", at=now - timedelta(days=30))

    new = contributions(score_site(world.pps_bumi, now=now))["incidents"]
    old = contributions(score_site(world.tps_bumi, now=now))["incidents"]

    assert old < new
    assert old == round(15 * math.pow(0.5, 30 / 14), 2)
    # Older than the window: not counted at all.
    incident(world.pps_penajam, "red", at=now - timedelta(days=400))
    assert by_name(score_site(world.pps_penajam, now=now))["incidents"]["value"] == 0


def test_stage_multiplier_voting_day_above_campaign_above_none(world, loaded):
    incident(world.pps_bumi, "yellow", at=datetime(2024, 1, 1, tzinfo=WITA))
    results = {
        now: score_site(world.pps_bumi, now=now)
        for now in (VOTING_DAY, CAMPAIGN_DAY, QUIET_YEAR_DAY)
    }
    stage = {now: by_name(r)["stage_multiplier"] for now, r in results.items()}

    assert stage[VOTING_DAY]["value"] == 1.3
    assert stage[VOTING_DAY]["detail"] == "Pemungutan suara Pemilu 2024"
    assert stage[CAMPAIGN_DAY]["value"] == 1.1
    assert stage[QUIET_YEAR_DAY] == {**stage[QUIET_YEAR_DAY], "value": 1.0, "contribution": 0.0}
    assert results[VOTING_DAY].score > results[CAMPAIGN_DAY].score > results[QUIET_YEAR_DAY].score
    for result in results.values():
        assert_adds_up(result)


def test_regional_stage_applies_to_its_region_only(world, loaded):
    from patroli.elections.models import Stage

    Stage.objects.create(
        election="Pilkades PPU 2025",
        name="Pemungutan suara Pilkades Sepaku",
        kind="voting",
        starts_on="2025-06-01",
        ends_on="2025-06-01",
        region_id="64.09.04",
    )
    assert (
        by_name(score_site(world.pps_bumi, now=QUIET_YEAR_DAY))["stage_multiplier"]["value"] == 1.3
    )
    assert (
        by_name(score_site(world.pps_penajam, now=QUIET_YEAR_DAY))["stage_multiplier"]["value"]
        == 1.0
    )


# Monotonicity, on random-ish scenarios built in the database.


@pytest.mark.parametrize("seed", range(8))
def test_monotonicity(world, loaded, seed):
    rng = random.Random(seed)
    now = rng.choice([VOTING_DAY, CAMPAIGN_DAY, QUIET_YEAR_DAY])
    site = Site.objects.create(
        name=f"TPS {seed + 10:03d} Desa Bumi Harapan",
        kind=Site.Kind.TPS,
        village_id=BUMI,
        unit=world.sepaku,
        tps_number=seed + 10,
        voters=rng.choice([None, 50, 326, 900]),
    )
    if rng.random() < 0.5:
        baseline(rng.choice([BUMI, "64.09.04", "64.09"]), *(rng.uniform(0, 100) for _ in range(4)))
    for _ in range(rng.randint(0, 8)):
        concern(site, rng.choice(["low", "medium", "high"]), overdue=rng.random() < 0.3, now=now)
    for _ in range(rng.randint(0, 6)):
        incident(
            site,
            rng.choice(["green", "yellow", "red"]),
            at=now - timedelta(days=rng.uniform(0, 60)),
        )
    if rng.random() < 0.7:
        visit(site, world.officer, now - timedelta(days=rng.uniform(0, 45)))

    before = score_site(site, now=now).score
    for _ in range(3):
        incident(
            site,
            rng.choice(["green", "yellow", "red"]),
            at=now - timedelta(days=rng.uniform(0, 60)),
        )
        after = score_site(site, now=now).score
        assert after >= before
        before = after
        concern(site, rng.choice(["low", "medium", "high"]), overdue=rng.random() < 0.5, now=now)
        after = score_site(site, now=now).score
        assert after >= before
        before = after
        visit(site, world.officer, now - timedelta(days=rng.uniform(0, 40)))
        after = score_site(site, now=now).score
        assert after <= before
        before = after
    assert_adds_up(score_site(site, now=now))


def test_score_sites_in_bulk_equals_one_by_one(world, loaded, django_assert_max_num_queries):
    incident(world.tps_bumi, "red", at=QUIET_YEAR_DAY)
    concern(world.pps_penajam, "high", now=QUIET_YEAR_DAY)
    sites = [world.pps_bumi, world.tps_bumi, world.pps_penajam]
    with django_assert_max_num_queries(6):
        results = risk.score_sites(sites, now=QUIET_YEAR_DAY)
    assert results == {s.pk: score_site(s, now=QUIET_YEAR_DAY) for s in sites}


# Storing.


def test_compute_all_stores_one_row_per_site_and_village_and_is_idempotent(world, loaded):
    assert risk.compute_all(now=QUIET_YEAR_DAY) == 5  # 3 sites, 2 (village, unit) pairs
    rows = {(r.site_id, r.village_id, r.unit_id): r for r in RiskScore.objects.all()}
    assert set(rows) == {
        (world.pps_bumi.pk, None, world.sepaku.pk),
        (world.tps_bumi.pk, None, world.sepaku.pk),
        (world.pps_penajam.pk, None, world.penajam.pk),
        (None, BUMI, world.sepaku.pk),
        (None, "64.09.01.1003", world.penajam.pk),
    }
    scores = {k: (r.score, r.level, r.factors) for k, r in rows.items()}

    assert risk.compute_all(now=QUIET_YEAR_DAY) == 5
    assert RiskScore.objects.count() == 5
    again = {
        (r.site_id, r.village_id, r.unit_id): (r.score, r.level, r.factors)
        for r in RiskScore.objects.all()
    }
    assert again == scores
    stored = RiskScore.objects.get(site=world.tps_bumi)
    assert stored.score == score_site(world.tps_bumi, now=QUIET_YEAR_DAY).score


def test_compute_all_for_one_unit_and_in_small_batches(world, loaded):
    assert risk.compute_all("polsek-sepaku", now=QUIET_YEAR_DAY, batch_size=1) == 3
    assert set(RiskScore.objects.values_list("unit__code", flat=True)) == {"polsek-sepaku"}
    assert risk.compute_all(world.polres, now=QUIET_YEAR_DAY, batch_size=2) == 5


def test_compute_all_query_count_does_not_grow_with_the_sites(
    world, loaded, django_assert_max_num_queries
):
    for n in range(2, 30):
        Site.objects.create(
            name=f"TPS {n:03d}", kind=Site.Kind.TPS, village_id=BUMI, unit=world.sepaku, voters=200
        )
    with django_assert_max_num_queries(40):
        assert risk.compute_all(now=QUIET_YEAR_DAY) == 3 + 28 + 2


def test_village_score_counts_the_units_records_in_the_village(world, loaded):
    now = QUIET_YEAR_DAY
    concern(world.pps_bumi, "high", now=now)
    concern(world.tps_bumi, "low", now=now)
    Concern.objects.create(
        source=Concern.Source.STAFF,
        category=Category.objects.filter(severity="medium").first(),
        description="Tanpa lokasi.",
        village_id=BUMI,
        unit=world.sepaku,
    )
    incident(world.tps_bumi, "red", at=now)
    visit(world.tps_bumi, world.officer, now - timedelta(days=6))
    result = risk.score_village(BUMI, world.sepaku.pk, now=now)
    values = {f["name"]: f["value"] for f in result.factors}

    assert values["open_concerns"] == 3 and contributions(result)["open_concerns"] == 17.0
    assert values["incidents"] == 1 and values["days_since_visit"] == 6
    assert values["voters"] == 326
    assert_adds_up(result)


def test_refresh_for_updates_the_sites_and_villages_named(world, loaded):
    now = QUIET_YEAR_DAY
    assert risk.refresh_for(site_ids=[world.pps_bumi.pk], village_codes=[BUMI], now=now) == 2
    before = RiskScore.objects.get(site=world.pps_bumi).score
    incident(world.pps_bumi, "red", at=now)
    ids = [world.pps_bumi.pk, world.pps_bumi.pk]
    assert risk.refresh_for(site_ids=ids, village_codes=[BUMI, BUMI], now=now) == 2
    assert RiskScore.objects.get(site=world.pps_bumi).score == before + 15
    village = RiskScore.objects.get(site__isnull=True, village_id=BUMI)
    assert (village.unit, village.computed_at) == (world.sepaku, now)
    assert risk.refresh_site(999999) is None


def test_refresh_on_commit_runs_after_the_transaction(
    world, loaded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        risk.refresh_on_commit(site_ids=[world.tps_bumi.pk], village_codes=[BUMI])
        assert not RiskScore.objects.exists()
    assert len(callbacks) == 1
    assert RiskScore.objects.filter(site=world.tps_bumi).exists()


def test_stored_labels_are_in_the_default_language(world, loaded, settings):
    row = risk.refresh_site(world.pps_bumi.pk)
    assert [f["name"] for f in row.factors][:2] == ["no_baseline", "open_concerns"]
    assert all(isinstance(f["label"], str) and f["label"] for f in row.factors)


def test_compute_risk_command(world, loaded, capsys):
    call_command("compute_risk")
    assert "5" in capsys.readouterr().out
    call_command("compute_risk", "--unit", "polsek-penajam")
    assert "2" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("compute_risk", "--unit", "polsek-nowhere")


# The baseline importer.

HEADER = "region,social_political,administration,contestation,participation,source\n"


def write(tmp_path, text, name="ikp.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_baselines_and_again(regions, tmp_path):
    path = write(tmp_path, HEADER + "64,77.04,70,80,81,IKP 2024\n64.09.04,40,50,60,70,\n")
    result = import_baselines(path)
    assert result.ok and result.written and (result.created, result.updated) == (2, 0)
    kaltim = RiskBaseline.objects.get(region_id="64")
    assert (kaltim.social_political, kaltim.source) == (77.04, "IKP 2024")

    again = import_baselines(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    changed = write(tmp_path, HEADER + "64,77.04,70,80,82,IKP 2024\n", "changed.csv")
    assert import_baselines(changed).updated == 1
    assert RiskBaseline.objects.get(region_id="64").participation == 82


def test_import_baselines_without_source_column(regions, tmp_path):
    path = write(
        tmp_path,
        "region,social_political,administration,contestation,participation\n64.09,1,2,3,4\n",
    )
    assert import_baselines(path).created == 1


def test_import_baselines_reports_every_bad_row_and_writes_nothing(regions, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "64,50,50,50,50,ok\n"  # line 2: good, yet not written
        + "64.09,101,50,50,50,\n"  # line 3
        + "64.09.04,abc,50,50,50,\n"  # line 4
        + "64.09.01,50,,50,50,\n"  # line 5
        + "99.99,50,50,50,50,\n"  # line 6
        + "64,50,50,50,50,\n"  # line 7: twice
        + ",50,50,50,50,\n"  # line 8
        + "64.09.02,-1,50,50,50,"
        + "x" * 201
        + "\n",  # line 9: two problems
    )
    result = import_baselines(path)

    assert not result.ok and not result.written
    assert [e.line for e in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    messages = [str(e) for e in result.errors]
    assert "outside" in messages[0] and "not a number" in messages[1]
    assert "administration is empty" in messages[2] and "99.99 does not exist" in messages[3]
    assert "twice" in messages[4] and "region is empty" in messages[5]
    assert "outside" in messages[6] and "source" in messages[6]
    assert not RiskBaseline.objects.exists()


def test_import_baselines_missing_column_and_not_utf8(regions, tmp_path):
    result = import_baselines(write(tmp_path, "region,social_political\n64,50\n"))
    assert [e.line for e in result.errors] == [1] and "missing columns" in str(result.errors[0])
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "64,50,50,50,50,Sumber é\n").encode("latin-1"))
    assert "UTF-8" in str(import_baselines(latin).errors[0])


def test_import_risk_baselines_command(regions, tmp_path, capsys):
    call_command("import_risk_baselines", str(write(tmp_path, HEADER + "64,50,50,50,50,\n")))
    assert "1 created" in capsys.readouterr().out
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_risk_baselines", str(write(tmp_path, HEADER + "64,500,50,50,50,\n", "bad.csv"))
        )
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_risk_baselines", str(tmp_path / "missing.csv"))


def test_with_the_database_queue_the_refresh_is_queued_in_the_transaction(world, settings):
    """The production queue is a table of the same database: the refresh is stored with the
    change it follows, and gone with it when that change is rolled back."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": risk.DATABASE_QUEUE}}

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        risk.refresh_on_commit(site_ids=[world.tps_bumi.pk], village_codes=[BUMI])
        assert DBTaskResult.objects.count() == 1  # queued before the commit, not after
        raise Undo
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        risk.refresh_on_commit(site_ids=[world.tps_bumi.pk], village_codes=[BUMI])
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("refresh_task")
    assert queued.args_kwargs["args"] == [[world.tps_bumi.pk], [BUMI]]


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left in a transaction
def test_a_refresh_queued_with_a_batch_is_the_queues_own_row_and_its_worker_runs_it(
    world, settings
):
    """A visit queues its refresh with the statements of its batch (``core.tasks.enqueue_in``,
    no statement of its own): the row is the one django-tasks-db's ``enqueue`` writes, and the
    package's real worker runs it."""
    from django.db import transaction
    from django_tasks_db.compat import task_enqueued
    from django_tasks_db.models import DBTaskResult

    from patroli.core.bulk import Batch

    settings.TASKS = {"default": {"BACKEND": risk.DATABASE_QUEUE}}
    where = {"site_ids": [world.tps_bumi.pk], "village_codes": [BUMI]}
    signalled = []

    def receiver(sender, task_result, **kwargs):
        signalled.append(task_result.id)

    task_enqueued.connect(receiver)
    try:
        with transaction.atomic():
            risk.refresh_on_commit(**where)  # through the package's enqueue
        with transaction.atomic(), Batch(RiskScore) as batch:
            risk.refresh_on_commit(**where, batch=batch)
            assert batch.pending  # sent with it
    finally:
        task_enqueued.disconnect(receiver)
    own, batched = DBTaskResult.objects.all()
    assert sorted(signalled) == sorted([str(own.pk), str(batched.pk)])
    assert own.pk != batched.pk
    compared = [f.attname for f in DBTaskResult._meta.concrete_fields]
    compared = [name for name in compared if name not in ("id", "enqueued_at")]
    assert {n: getattr(batched, n) for n in compared} == {n: getattr(own, n) for n in compared}
    assert batched.enqueued_at is not None

    RiskScore.objects.all().delete()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert RiskScore.objects.filter(site=world.tps_bumi).exists()
    assert RiskScore.objects.filter(site__isnull=True, village_id=BUMI).exists()


def test_a_batch_filled_before_its_transaction_queues_elsewhere_only_at_the_commit(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    """A visit's batch is filled before its transaction begins (services.record_visit). With a
    queue that is not the database's (the tests' immediate one, or Redis), the refresh must not
    be queued then, when nothing is written yet, but when the change commits."""
    from types import SimpleNamespace

    from django.db import transaction

    from patroli.core.bulk import Batch

    queued = []
    monkeypatch.setattr(risk, "refresh_task", SimpleNamespace(enqueue=lambda *a: queued.append(a)))
    batch = Batch(RiskScore)
    risk.refresh_on_commit(site_ids=[world.tps_bumi.pk], village_codes=[BUMI], batch=batch)
    assert not queued and not batch.pending  # no statement: the queue is not a table
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        batch.send()
        assert not queued  # not before the commit
    assert len(callbacks) == 1
    assert queued == [([world.tps_bumi.pk], [BUMI])]
