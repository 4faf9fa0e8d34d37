from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patroli.core.ids import uuid7
from patroli.core.models import ChoiceLabels


class StageQuerySet(models.QuerySet):
    def at(self, day, region=None) -> "StageQuerySet":
        """Stages running on ``day`` that apply to ``region`` (national ones apply everywhere)."""
        qs = self.filter(starts_on__lte=day, ends_on__gte=day)
        if region is None:
            return qs.filter(region__isnull=True)
        codes = [*region.ancestor_codes(), region.code]
        return qs.filter(Q(region__isnull=True) | Q(region__code__in=codes))

    def current(self, day, region=None):
        """The most specific stage on ``day``: regional before national, the shortest first."""
        stages = list(self.at(day, region).select_related("region"))
        stages.sort(key=lambda s: (s.region_id is None, (s.ends_on - s.starts_on).days))
        return stages[0] if stages else None


class Stage(ChoiceLabels):
    """A named period of an election (campaign, quiet period, voting…), national or regional."""

    class Kind(models.TextChoices):
        PREPARATION = "preparation", _("preparation")
        CAMPAIGN = "campaign", _("campaign")
        QUIET = "quiet", _("quiet period")
        VOTING = "voting", _("voting")
        COUNTING = "counting", _("counting")
        RECAPITULATION = "recapitulation", _("recapitulation")
        OTHER = "other", _("other")

    election = models.CharField(
        _("election"), max_length=120, help_text=_("e.g. Pemilu 2024, Pilkada 2024, Pilkades 2025")
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    voting_day = models.DateField(_("voting day"), null=True, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty for a national stage; a regency for a pilkades."),
    )

    objects = StageQuerySet.as_manager()

    class Meta:
        verbose_name = _("election stage")
        verbose_name_plural = _("election stages")
        ordering = ["starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="stage_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.election}: {self.name}"


class Incident(ChoiceLabels):
    """A disturbance of public order (gangguan kamtibmas), election-related or general."""

    class Kind(models.TextChoices):
        MONEY_POLITICS = "money_politics", _("money politics")
        INTIMIDATION = "intimidation", _("intimidation")
        HOAX = "hoax", _("hoax or provocation")
        LOGISTICS_DAMAGE = "logistics_damage", _("damage to election logistics")
        CLASH = "clash", _("clash between supporters")
        TPS_DISRUPTION = "tps_disruption", _("disruption at a polling station")
        NEUTRALITY = "neutrality", _("neutrality violation")
        THEFT = "theft", _("theft")
        FIGHT = "fight", _("fight")
        TRAFFIC_ACCIDENT = "traffic_accident", _("traffic accident")
        DISASTER = "disaster", _("disaster")
        OTHER = "other", _("other")

    ELECTION_KINDS = frozenset(
        {
            Kind.MONEY_POLITICS,
            Kind.INTIMIDATION,
            Kind.HOAX,
            Kind.LOGISTICS_DAMAGE,
            Kind.CLASH,
            Kind.TPS_DISRUPTION,
            Kind.NEUTRALITY,
        }
    )

    class Severity(models.TextChoices):
        GREEN = "green", _("green (minor)")
        YELLOW = "yellow", _("yellow (serious)")
        RED = "red", _("red (grave)")

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        HANDLED = "handled", _("being handled")
        CLOSED = "closed", _("closed")

    access_unit_field = "unit"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REPORTED
    )
    occurred_at = models.DateTimeField(_("occurred"))
    description = models.TextField(_("description"), blank=True)
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="incidents"
    )
    visit = models.ForeignKey(
        "patrols.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["unit", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def is_election(self) -> bool:
        return self.kind in self.ELECTION_KINDS


class RiskBaseline(models.Model):
    """IKP-style vulnerability of a region (0-100 per dimension), imported from CSV.

    A region without a baseline inherits the nearest ancestor's."""

    region = models.OneToOneField(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="risk_baseline",
    )
    social_political = models.FloatField(_("social-political context"))
    administration = models.FloatField(_("election administration"))
    contestation = models.FloatField(_("contestation"))
    participation = models.FloatField(_("participation"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk baseline")
        verbose_name_plural = _("risk baselines")

    def __str__(self) -> str:
        return str(self.region)


class RiskScore(ChoiceLabels):
    """The latest risk of a site or of a village, with the factors that made it."""

    class Level(models.TextChoices):
        LOW = "low", _("less vulnerable")  # kurang rawan
        MEDIUM = "medium", _("vulnerable")  # rawan
        HIGH = "high", _("very vulnerable")  # sangat rawan

    access_unit_field = "unit"

    site = models.OneToOneField(
        "sites.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="risk"
    )
    village = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    factors = models.JSONField(_("factors"), default=list)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        ordering = ["-score"]
        indexes = [
            # The riskiest sites of a Polda or of the country (the dashboard's five): read from
            # the top of the scores, not by sorting a million of them (1 s at national size).
            models.Index(fields=["-score"], name="risk_score_desc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False) ^ Q(village__isnull=False),
                name="risk_of_a_site_or_a_village",
            ),
            models.UniqueConstraint(
                fields=["village", "unit"],
                condition=Q(site__isnull=True),
                name="one_village_risk_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site or self.village}: {self.score:.0f}"
