import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def fold(text: str) -> str:
    """Lower-case, accent-free form of a name, for case- and accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class RegionQuerySet(models.QuerySet):
    def search(self, query: str) -> "RegionQuerySet":
        words = fold(query).split()
        qs = self
        for word in words:
            qs = qs.filter(search_name__contains=word)
        return qs

    def villages(self) -> "RegionQuerySet":
        return self.filter(level=Region.Level.VILLAGE)


class Region(models.Model):
    """An administrative region under Kepmendagri, keyed by its official code."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency/city")
        DISTRICT = 3, _("district")
        VILLAGE = 4, _("village")

    class Kind(models.TextChoices):
        PROVINSI = "provinsi", _("province")
        KABUPATEN = "kabupaten", _("regency")
        KOTA = "kota", _("city")
        KECAMATAN = "kecamatan", _("district")
        DESA = "desa", pgettext_lazy("kind of region", "village")
        KELURAHAN = "kelurahan", _("urban village")
        DESA_ADAT = "desa_adat", _("customary village")

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=True,
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "search_name"])]

    def __str__(self) -> str:
        return self.name

    def ancestor_codes(self) -> list[str]:
        """Codes of the ancestors, nearest last ("64", "64.09", "64.09.04" for a village)."""
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]

    def ancestors(self) -> list["Region"]:
        by_code = Region.objects.in_bulk(self.ancestor_codes())
        return [by_code[c] for c in self.ancestor_codes() if c in by_code]
