from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _


class SiteQuerySet(models.QuerySet):
    def with_last_visit(self) -> "SiteQuerySet":
        from patroli.patrols.models import Visit

        last = Visit.objects.filter(site=OuterRef("pk")).order_by("-started_at")
        return self.annotate(last_visit_at=Subquery(last.values("started_at")[:1]))

    def search(self, query: str) -> "SiteQuerySet":
        qs = self
        for word in query.split():
            qs = qs.filter(name__icontains=word)
        return qs


class Site(models.Model):
    """A place to patrol."""

    class Kind(models.TextChoices):
        PPS_OFFICE = "pps_office", _("PPS office (village election committee)")
        PPK_OFFICE = "ppk_office", _("PPK office (district election committee)")
        TPS = "tps", _("polling station (TPS)")
        KPU_WAREHOUSE = "kpu_warehouse", _("KPU logistics warehouse")
        VILLAGE_OFFICE = "village_office", _("village office")
        WORSHIP = "worship", _("place of worship")
        MARKET = "market", _("market")
        SCHOOL = "school", _("school")
        OTHER = "other", _("other")

    access_unit_field = "unit"

    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    village = models.ForeignKey(
        "regions.Region",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="sites",
        limit_choices_to={"level": 4},
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="sites"
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    tps_number = models.PositiveIntegerField(_("TPS number"), null=True, blank=True)
    voters = models.PositiveIntegerField(_("registered voters"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["village_id", "kind", "tps_number", "name"]
        constraints = [
            # The natural key that makes a re-import update instead of duplicating.
            models.UniqueConstraint(
                fields=["village", "kind", "name"], name="site_unique_name_per_village_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lng is not None
