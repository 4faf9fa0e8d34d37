"""Risk of a site or a village: a score 0-100, a level and the factors that made it.

The score is a sum of points, each point traceable to one factor:

1. **Baseline** (IKP-style): the weighted mean of the four dimensions (equal weights) of the
   nearest :class:`~patroli.elections.models.RiskBaseline` up the region tree (village →
   district → regency → province), times ``baseline_scale`` (0.5). Without any, a neutral default
   of 30 (factor ``no_baseline``).
2. **Live signals**, additive points, each capped:

   - ``open_concerns``: open concerns at the site (its site FK; for a village score, every
     concern of the village and the unit), ``low`` 2, ``medium`` 5, ``high`` 10 points each by the
     category's severity, at most 30;
   - ``overdue_concerns``: 3 more points for each open concern past its due time, at most 15;
   - ``incidents``: ``green`` 3, ``yellow`` 8, ``red`` 15 points, halved every 14 days of age
     (exponential decay), at most 40; incidents older than 180 days or in the future are ignored;
   - ``days_since_visit``: 0 points when visited today (local date), growing linearly to 10 points
     at 30 days; never visited counts as 30 days;
   - ``voters``: one point per 100 registered voters at the site (for a village: of all its
     sites), at most 5.
3. **Stage multiplier** (factor ``stage_multiplier``): the highest multiplier among the election
   stages running that day for the village (national ones and those of its regency…): voting 1.3,
   quiet period 1.2, campaign, counting and recapitulation 1.1, otherwise 1.0. It multiplies the
   **whole** sum (baseline and live signals): on voting day every place is more exposed, even one
   without recent signals. The factor's contribution is the points it added.
4. A score above 100 is cut to 100; the cut appears as a factor ``ceiling`` with a negative
   contribution, so that the contributions always add up to the score.

Levels: below 40 ``low`` (kurang rawan), below 70 ``medium`` (rawan), otherwise ``high`` (sangat
rawan). Every number above is in :data:`DEFAULTS`; override any of them with the setting
``PATROLI_RISK_WEIGHTS`` (a dict with the same keys; nested dicts are merged key by key).

Monotonicity holds by construction: every live factor is a non-decreasing function of its count
(more open or overdue concerns, one more incident) and a non-increasing one of the recency of the
last visit; the multiplier is ≥ 1 and the same for the same day and place; rounding and the
ceiling are non-decreasing. So one more incident or open concern never lowers a score and a visit
never raises it.

Call :func:`refresh_for` (or :func:`refresh_on_commit` inside a transaction) after a visit, a
concern or an incident; ``patroli compute-risk`` (:func:`compute_all`) recomputes everything and
should also run periodically, since ages and days since the last visit grow with time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from patroli.concerns.models import Concern
from patroli.core.bulk import Batch
from patroli.core.tasks import enqueue_in
from patroli.patrols.models import Visit
from patroli.sites.models import Site
from patroli.units.models import Unit

from .models import Incident, RiskBaseline, RiskScore, Stage

logger = logging.getLogger(__name__)

DEFAULTS: dict = {
    # Weights of the IKP dimensions in the baseline's weighted mean (need not add up to 1).
    "dimensions": {
        "social_political": 1.0,
        "administration": 1.0,
        "contestation": 1.0,
        "participation": 1.0,
    },
    # The baseline of a place with no baseline anywhere up the region tree.
    "neutral_baseline": 30.0,
    # Points per point of the baseline. Half: IKP values are often known only for a whole
    # province and are high there (Kalimantan Timur about 77); at full weight every site of such
    # a province would be "sangat rawan" whatever happened at it. Half leaves room for the live
    # signals to tell sites apart.
    "baseline_scale": 0.5,
    # Points per open concern by its category's severity, and their cap.
    "concern_points": {"low": 2.0, "medium": 5.0, "high": 10.0},
    "concern_cap": 30.0,
    # Extra points per open concern past its due time, and their cap.
    "overdue_points": 3.0,
    "overdue_cap": 15.0,
    # Points per incident by severity, halved every ``incident_half_life_days`` of age.
    "incident_points": {"green": 3.0, "yellow": 8.0, "red": 15.0},
    "incident_half_life_days": 14.0,
    "incident_window_days": 180,
    "incident_cap": 40.0,
    # Points for the days since the last visit: 0 today, ``visit_points`` at ``visit_cap_days``.
    "visit_points": 10.0,
    "visit_cap_days": 30,
    # One point per ``voters_per_point`` registered voters, at most ``voters_cap``.
    "voters_per_point": 100.0,
    "voters_cap": 5.0,
    # Multiplier of the whole score by the kind of election stage running that day.
    "stage_multipliers": {
        "voting": 1.3,
        "quiet": 1.2,
        "campaign": 1.1,
        "counting": 1.1,
        "recapitulation": 1.1,
    },
    # The lowest score of each level (below "medium" is "low").
    "levels": {"medium": 40.0, "high": 70.0},
}

DIMENSIONS = ("social_political", "administration", "contestation", "participation")
BATCH = 500
MAX_SCORE = 100.0

LABELS = {
    "baseline": _("baseline vulnerability (IKP)"),
    "no_baseline": _("no baseline (neutral default)"),
    "open_concerns": _("open concerns"),
    "overdue_concerns": _("overdue concerns"),
    "incidents": _("incidents (decayed by age)"),
    "days_since_visit": _("days since the last visit"),
    "voters": _("registered voters"),
    "stage_multiplier": _("election stage multiplier"),
    "ceiling": _("cut to the maximum of 100"),
}


def factor_label(name: str, fallback: str = "") -> str:
    """The label of a factor in the active language (stored labels are in LANGUAGE_CODE)."""
    label = LABELS.get(name)
    return str(label) if label is not None else fallback or name


def level_label(level: str) -> str:
    """kurang rawan / rawan / sangat rawan (through the translation of RiskScore.Level)."""
    try:
        return str(RiskScore.Level(level).label)
    except ValueError:
        return level


def get_weights() -> dict:
    """DEFAULTS overridden by ``settings.PATROLI_RISK_WEIGHTS``, nested dicts merged."""
    custom = getattr(settings, "PATROLI_RISK_WEIGHTS", DEFAULTS)
    merged = {}
    for key, default in DEFAULTS.items():
        value = custom.get(key, default)
        if isinstance(default, dict) and isinstance(value, dict):
            value = {**default, **value}
        merged[key] = value
    return merged


@dataclass(frozen=True)
class ScoreResult:
    score: float
    level: str
    factors: list[dict]


@dataclass
class Signals:
    """The raw inputs of one score, gathered in bulk from the database."""

    village: str
    baseline: float | None = None
    baseline_detail: str = ""
    concerns: dict[str, int] = field(default_factory=dict)  # category severity -> open count
    overdue: int = 0
    incidents: list[tuple[str, float]] = field(default_factory=list)  # (severity, age in days)
    days_since_visit: int | None = None  # None: never visited
    voters: int | None = None
    stage_kind: str | None = None
    stage_name: str = ""


def _factor(name: str, value, contribution: float, detail: str = "") -> dict:
    return {
        "name": name,
        "label": factor_label(name),
        "value": value,
        "contribution": round(float(contribution), 2),
        "detail": detail,
    }


def level_for(score: float, weights: dict | None = None) -> str:
    levels = (weights or get_weights())["levels"]
    if score < levels["medium"]:
        return RiskScore.Level.LOW
    if score < levels["high"]:
        return RiskScore.Level.MEDIUM
    return RiskScore.Level.HIGH


def combine(signals: Signals, weights: dict | None = None) -> ScoreResult:
    """The score of ``signals``: pure arithmetic, no database."""
    w = weights or get_weights()
    factors = []
    scale = float(w["baseline_scale"])
    if signals.baseline is None:
        factors.append(_factor("no_baseline", None, scale * w["neutral_baseline"]))
    else:
        factors.append(
            _factor(
                "baseline",
                round(signals.baseline, 2),
                scale * signals.baseline,
                signals.baseline_detail,
            )
        )

    points = w["concern_points"]
    open_count = sum(signals.concerns.values())
    concern_points = sum(
        points.get(sev, points["medium"]) * n for sev, n in signals.concerns.items()
    )
    factors.append(_factor("open_concerns", open_count, min(w["concern_cap"], concern_points)))
    factors.append(
        _factor(
            "overdue_concerns",
            signals.overdue,
            min(w["overdue_cap"], w["overdue_points"] * signals.overdue),
        )
    )

    half_life = float(w["incident_half_life_days"])
    incident_points = sum(
        w["incident_points"].get(sev, 0.0) * math.pow(0.5, max(age, 0.0) / half_life)
        for sev, age in signals.incidents
    )
    factors.append(
        _factor("incidents", len(signals.incidents), min(w["incident_cap"], incident_points))
    )

    cap_days = w["visit_cap_days"]
    days = signals.days_since_visit
    shown_days = cap_days if days is None else min(max(days, 0), cap_days)
    factors.append(_factor("days_since_visit", days, w["visit_points"] * shown_days / cap_days))

    voters = signals.voters or 0
    factors.append(
        _factor(
            "voters",
            signals.voters,
            min(w["voters_cap"], voters / w["voters_per_point"]),
        )
    )

    subtotal = round(sum(f["contribution"] for f in factors), 2)
    multiplier = (
        float(w["stage_multipliers"].get(signals.stage_kind, 1.0)) if signals.stage_kind else 1.0
    )
    stage = _factor(
        "stage_multiplier", multiplier, (multiplier - 1.0) * subtotal, signals.stage_name
    )
    factors.append(stage)
    score = round(subtotal + stage["contribution"], 2)
    if score > MAX_SCORE:
        factors.append(_factor("ceiling", MAX_SCORE, MAX_SCORE - score))
        score = MAX_SCORE
    return ScoreResult(score=score, level=level_for(score, w), factors=factors)


# Gathering the signals in bulk.


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _chain(code: str) -> list[str]:
    """The code and its ancestors' codes, nearest first."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


class _Context:
    """What every score of one run shares: the time, the weights, the stages, the baselines."""

    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()
        self.day = timezone.localdate(self.now)
        self.weights = get_weights()
        self.since = self.now - timedelta(days=self.weights["incident_window_days"])
        self._stages: list[Stage] | None = None
        self._baselines: dict[str, tuple[float, str] | None] = {}

    # Stages: loaded once, matched to each village in Python (national or an ancestor's).
    def stage_for(self, village: str) -> Stage | None:
        if self._stages is None:
            self._stages = list(
                Stage.objects.filter(starts_on__lte=self.day, ends_on__gte=self.day).select_related(
                    "region"
                )
            )
        codes = set(_chain(village))
        multipliers = self.weights["stage_multipliers"]
        candidates = [s for s in self._stages if s.region_id is None or s.region_id in codes]
        if not candidates:
            return None
        # The highest multiplier wins; among equals the most specific (regional, shortest).
        candidates.sort(
            key=lambda s: (
                -float(multipliers.get(s.kind, 1.0)),
                s.region_id is None,
                (s.ends_on - s.starts_on).days,
            )
        )
        return candidates[0]

    def load_baselines(self, villages: Iterable[str]) -> None:
        # Not `set - self._baselines.keys()`: that walks every cached code, once per site (a
        # recompute of all sites grew with their square).
        wanted = {c for v in villages for c in _chain(v) if c not in self._baselines}
        if not wanted:
            return
        weights = self.weights["dimensions"]
        total = sum(float(weights[d]) for d in DIMENSIONS) or 1.0
        for code in wanted:
            self._baselines[code] = None
        for chunk in _chunks(sorted(wanted), 1000):
            for b in RiskBaseline.objects.filter(region_id__in=chunk).select_related("region"):
                mean = sum(float(weights[d]) * getattr(b, d) for d in DIMENSIONS) / total
                self._baselines[b.region_id] = (mean, f"{b.region.name} ({b.region_id})")

    def baseline_for(self, village: str) -> tuple[float, str] | None:
        self.load_baselines([village])
        for code in _chain(village):
            if self._baselines.get(code) is not None:
                return self._baselines[code]
        return None

    def signals(self, village: str) -> Signals:
        signals = Signals(village=village)
        baseline = self.baseline_for(village)
        if baseline is not None:
            signals.baseline, signals.baseline_detail = baseline
        stage = self.stage_for(village)
        if stage is not None:
            signals.stage_kind, signals.stage_name = stage.kind, stage.name
        return signals

    def days_since(self, moment: datetime | None) -> int | None:
        if moment is None:
            return None
        return (self.day - timezone.localdate(moment)).days

    def age_days(self, moment: datetime) -> float:
        return max((self.now - moment).total_seconds() / 86400, 0.0)

    # Sites.
    def site_signals(self, sites: list[Site]) -> dict[int, Signals]:
        ids = [s.pk for s in sites]
        self.load_baselines({s.village_id for s in sites})
        result = {s.pk: self.signals(s.village_id) for s in sites}
        for s in sites:
            result[s.pk].voters = s.voters
        concerns = (
            Concern.objects.open()
            .filter(site_id__in=ids)
            .order_by()
            .values("site_id", "category__severity")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=self.now)))
        )
        for row in concerns:
            signals = result[row["site_id"]]
            signals.concerns[row["category__severity"]] = row["n"]
            signals.overdue += row["late"]
        incidents = (
            Incident.objects.filter(
                site_id__in=ids, occurred_at__gt=self.since, occurred_at__lte=self.now
            )
            .order_by()
            .values_list("site_id", "severity", "occurred_at")
        )
        for site_id, severity, occurred_at in incidents:
            result[site_id].incidents.append((severity, self.age_days(occurred_at)))
        visits = (
            Visit.objects.filter(site_id__in=ids, started_at__lte=self.now)
            .order_by()
            .values("site_id")
            .annotate(last=Max("started_at"))
        )
        for row in visits:
            result[row["site_id"]].days_since_visit = self.days_since(row["last"])
        return result

    # Villages, per (village code, unit id): the unit's concerns, incidents, visits and sites there.
    def village_signals(self, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], Signals]:
        codes = {v for v, _u in pairs}
        units = {u for _v, u in pairs}
        self.load_baselines(codes)
        result = {pair: self.signals(pair[0]) for pair in pairs}
        scope = Q(village_id__in=codes, unit_id__in=units)
        concerns = (
            Concern.objects.open()
            .filter(scope)
            .order_by()
            .values("village_id", "unit_id", "category__severity")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=self.now)))
        )
        for row in concerns:
            signals = result.get((row["village_id"], row["unit_id"]))
            if signals is not None:
                signals.concerns[row["category__severity"]] = row["n"]
                signals.overdue += row["late"]
        incidents = (
            Incident.objects.filter(scope, occurred_at__gt=self.since, occurred_at__lte=self.now)
            .order_by()
            .values_list("village_id", "unit_id", "severity", "occurred_at")
        )
        for village, unit, severity, occurred_at in incidents:
            if (signals := result.get((village, unit))) is not None:
                signals.incidents.append((severity, self.age_days(occurred_at)))
        visits = (
            Visit.objects.filter(
                site__village_id__in=codes, unit_id__in=units, started_at__lte=self.now
            )
            .order_by()
            .values("site__village_id", "unit_id")
            .annotate(last=Max("started_at"))
        )
        for row in visits:
            if (signals := result.get((row["site__village_id"], row["unit_id"]))) is not None:
                signals.days_since_visit = self.days_since(row["last"])
        voters = (
            Site.objects.filter(scope, voters__isnull=False)
            .order_by()
            .values("village_id", "unit_id")
            .annotate(total=Sum("voters"))
        )
        for row in voters:
            if (signals := result.get((row["village_id"], row["unit_id"]))) is not None:
                signals.voters = row["total"]
        return result


# Public computation.


def score_site(site: Site, *, now: datetime | None = None) -> ScoreResult:
    """The risk of ``site`` now (or at ``now``), not stored. A handful of queries."""
    context = _Context(now)
    return combine(context.site_signals([site])[site.pk], context.weights)


def score_sites(sites: Iterable[Site], *, now: datetime | None = None) -> dict[int, ScoreResult]:
    """The risk of many sites by id, not stored: a few queries per batch of 500, not per site."""
    context = _Context(now)
    results = {}
    for chunk in _chunks(sites, BATCH):
        signals = context.site_signals(chunk)
        results.update({pk: combine(s, context.weights) for pk, s in signals.items()})
    return results


def score_village(village_code: str, unit_id: int, *, now: datetime | None = None) -> ScoreResult:
    """The risk of a village as seen by a unit: its concerns, incidents, visits and sites there."""
    context = _Context(now)
    pair = (village_code, unit_id)
    return combine(context.village_signals([pair])[pair], context.weights)


# Storing.


def _fields(result: ScoreResult, now: datetime) -> dict:
    return {
        "score": result.score,
        "level": result.level,
        "factors": result.factors,
        "computed_at": now,
    }


# Per batch one upsert (sites), or one delete and one insert (villages: their unique constraint is
# partial, which ON CONFLICT cannot name). bulk_update's CASE WHEN costs milliseconds per row.


def _store_sites(sites: list[Site], context: _Context) -> int:
    signals = context.site_signals(sites)
    rows = [
        RiskScore(
            site=site,
            unit_id=site.unit_id,
            **_fields(combine(signals[site.pk], context.weights), context.now),
        )
        for site in sites
    ]
    # An upsert: a row that a concurrent refresh_site inserted meanwhile is updated, not a clash.
    RiskScore.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["site"],
        update_fields=["unit", "score", "level", "factors", "computed_at"],
    )
    return len(rows)


def _store_villages(pairs: list[tuple[str, int]], context: _Context) -> int:
    signals = context.village_signals(pairs)
    rows = [
        RiskScore(
            village_id=village,
            unit_id=unit,
            **_fields(combine(signals[(village, unit)], context.weights), context.now),
        )
        for village, unit in pairs
    ]
    wanted = set(pairs)
    stale = [
        pk
        for pk, village, unit in RiskScore.objects.filter(
            site__isnull=True,
            village_id__in={v for v, _u in pairs},
            unit_id__in={u for _v, u in pairs},
        ).values_list("pk", "village_id", "unit_id")
        if (village, unit) in wanted
    ]
    RiskScore.objects.filter(pk__in=stale).delete()
    RiskScore.objects.bulk_create(rows)
    return len(rows)


def refresh_site(site_id: int, *, now: datetime | None = None) -> RiskScore | None:
    """Recompute and store the risk of one site; None when the site no longer exists."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        context = _Context(now)
        result = combine(context.site_signals([site])[site.pk], context.weights)
    row, _created = RiskScore.objects.update_or_create(
        site=site, defaults={"unit_id": site.unit_id, **_fields(result, context.now)}
    )
    return row


def refresh_village(village_code: str, unit_id: int, *, now: datetime | None = None) -> RiskScore:
    """Recompute and store the risk of one village for one unit."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _Context(now)
        pair = (village_code, unit_id)
        result = combine(context.village_signals([pair])[pair], context.weights)
    row, _created = RiskScore.objects.update_or_create(
        site=None, village_id=village_code, unit_id=unit_id, defaults=_fields(result, context.now)
    )
    return row


def _village_pairs(villages: Q, since: datetime, units: Q | None = None) -> set[tuple[str, int]]:
    """(village, unit) pairs worth a village score: sites, open concerns, recent incidents."""
    units = units or Q()
    pairs: set[tuple[str, int]] = set()
    for qs in (
        Site.objects.filter(villages, units),
        Concern.objects.open().filter(villages, units),
        Incident.objects.filter(villages, units, occurred_at__gt=since),
    ):
        pairs.update(qs.order_by().values_list("village_id", "unit_id").distinct())
    return pairs


def refresh_for(
    site_ids: Iterable[int] = (), village_codes: Iterable[str] = (), *, now=None
) -> int:
    """Recompute and store the scores of these sites and of these villages (for every unit with
    sites, open concerns or recent incidents there, or a stored score). Returns how many."""
    count = 0
    for site_id in dict.fromkeys(s for s in site_ids if s):
        count += refresh_site(site_id, now=now) is not None
    codes = list(dict.fromkeys(c for c in village_codes if c))
    if codes:
        since = (now or timezone.now()) - timedelta(days=get_weights()["incident_window_days"])
        pairs = _village_pairs(Q(village_id__in=codes), since)
        pairs.update(
            RiskScore.objects.filter(site__isnull=True, village_id__in=codes).values_list(
                "village_id", "unit_id"
            )
        )
        for village, unit in sorted(pairs):
            refresh_village(village, unit, now=now)
            count += 1
    return count


@task()
def refresh_task(site_ids: list[int], village_codes: list[str]) -> None:
    refresh_for(site_ids=site_ids, village_codes=village_codes)


DATABASE_QUEUE = "django_tasks_db.DatabaseBackend"


def refresh_on_commit(
    site_ids: Iterable[int] = (), village_codes: Iterable[str] = (), *, batch: Batch | None = None
) -> None:
    """Queue :func:`refresh_for` for the background worker (the tests and the demo run it at
    once). When the queue is a table of the same database, inside the current transaction: the
    refresh is stored exactly when the change is, and a failure to queue fails the change with
    it (it is a failure of that database); with ``batch``'s statements when given (no statement
    of its own: ``core.tasks.enqueue_in``). Otherwise once the transaction commits, and then a
    failure is logged, never raised into the request that recorded the visit, concern or
    incident.

    ``batch`` is sent in the transaction of the change, and may be filled before it begins:
    what it would queue at the commit is then arranged when it is sent."""
    site_ids, village_codes = list(site_ids), list(village_codes)

    def run():
        try:
            refresh_task.enqueue(site_ids, village_codes)
        except Exception:
            logger.exception(
                "risk refresh failed for sites %s villages %s", site_ids, village_codes
            )

    in_database = settings.TASKS["default"]["BACKEND"] == DATABASE_QUEUE
    if in_database and batch is not None:
        # A queue in the same database: queued with the change's statements, the refresh is
        # stored exactly when the change is, at no statement or commit of its own.
        enqueue_in(batch, refresh_task, site_ids, village_codes)
    elif batch is not None:
        batch.after_send(lambda: transaction.on_commit(run, using=batch.connection.alias))
    elif in_database and not transaction.get_autocommit():
        refresh_task.enqueue(site_ids, village_codes)
    else:
        transaction.on_commit(run)


def compute_all(unit: Unit | str | None = None, *, now=None, batch_size: int = BATCH) -> int:
    """Recompute and store every site's and village's score (of ``unit``'s subtree when given, a
    Unit or its code). Streams over the sites in batches with a few bulk queries per batch."""
    if isinstance(unit, str):
        unit = Unit.objects.get(code=unit)
    units = Q(unit__path__startswith=unit.path) if unit is not None else Q()
    with translation.override(settings.LANGUAGE_CODE):
        context = _Context(now)
        count = 0
        last = 0
        # Keyset pagination: each batch is one indexed range query, whatever the table's size.
        while sites := list(Site.objects.filter(units, pk__gt=last).order_by("pk")[:batch_size]):
            with transaction.atomic():
                count += _store_sites(sites, context)
            last = sites[-1].pk
        pairs = sorted(_village_pairs(Q(), context.since, units))
        for chunk in _chunks(pairs, batch_size):
            with transaction.atomic():
                count += _store_villages(chunk, context)
    return count
