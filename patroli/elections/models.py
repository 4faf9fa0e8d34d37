from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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


class Stage(models.Model):
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
