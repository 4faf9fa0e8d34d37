import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V): read aloud or typed from paper without doubt.
TRACKING_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
TRACKING_LENGTH = 8


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


class Category(models.Model):
    """What a concern is about; its code is also the Open311 service_code."""

    class Severity(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(_("group"), max_length=60, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    verify_days = models.PositiveSmallIntegerField(_("working days to verify"), default=3)
    respond_days = models.PositiveSmallIntegerField(_("working days to respond"), default=5)
    agency = models.CharField(
        _("default agency"),
        max_length=120,
        blank=True,
        help_text=_("Where concerns of this category are referred when not a police matter."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return self.name


class Concern(models.Model):
    """A community problem, tracked until it is solved. Its lifecycle lives in services."""

    class Source(models.TextChoices):
        PATROL = "patrol", _("patrol")
        WEB = "web", _("web form")
        OPEN311 = "open311", _("Open311")
        STAFF = "staff", _("staff entry")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        VERIFIED = "verified", _("verified")
        IN_PROGRESS = "in_progress", _("in progress")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("rejected")
        REFERRED = "referred", _("referred")
        DUPLICATE = "duplicate", _("duplicate")
        REOPENED = "reopened", _("reopened")

    access_unit_field = "unit"

    tracking_code = models.CharField(
        _("tracking code"), max_length=12, unique=True, default=new_tracking_code, editable=False
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="concerns"
    )
    description = models.TextField(_("description"))
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="concerns",
    )
    visit = models.ForeignKey(
        "patrols.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="concerns",
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="concerns"
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    # Private: never shown on a public page, feed or public API response.
    reporter_name = models.CharField(_("reporter's name"), max_length=120, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=30, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    confidential = models.BooleanField(_("confidential"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.display_code} {self.category}"

    @property
    def display_code(self) -> str:
        return f"{self.tracking_code[:4]}-{self.tracking_code[4:]}"


class ConcernEvent(models.Model):
    """Append-only history of a concern: every status change with its actor and note."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=Concern.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Concern.Status.choices)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("concern event")
        verbose_name_plural = _("concern events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.from_status} → {self.to_status}"
