import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patroli.core.models import ChoiceLabels
from patroli.core.search import full_text_search
from patroli.units.models import hash_token

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


class ConcernQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Concern.OPEN)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())

    def public(self):
        """What may appear on a public page, feed or API: never the confidential ones."""
        return self.filter(confidential=False)

    def search(self, query: str) -> "ConcernQuerySet":
        """Concerns holding every word of ``query`` (Indonesian full-text), best first; or the
        concern whose tracking code ``query`` is, as a caller reads it out (any case, spaces or
        dashes), when there is one among these."""
        code = normalise_tracking_code(query)
        if len(code) == TRACKING_LENGTH and set(code) <= set(TRACKING_ALPHABET):
            found = self.filter(tracking_code=code)
            if found.exists():  # else a word of eight such letters ("kampanye"): text
                return found
        return full_text_search(self, query)

    def with_related(self):
        return self.select_related("category", "village", "unit", "assigned_to", "site")


class Concern(ChoiceLabels):
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

    OPEN = frozenset({Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS, Status.REOPENED})
    # Where each status may go next. Moving anywhere else is refused (API: 409 with these).
    TRANSITIONS = {
        Status.RECEIVED: (Status.VERIFIED, Status.REJECTED, Status.REFERRED, Status.DUPLICATE),
        Status.VERIFIED: (
            Status.IN_PROGRESS,
            Status.RESOLVED,
            Status.REFERRED,
            Status.REJECTED,
            Status.DUPLICATE,
        ),
        Status.IN_PROGRESS: (Status.RESOLVED, Status.REFERRED),
        Status.REOPENED: (Status.IN_PROGRESS, Status.RESOLVED, Status.REFERRED),
        Status.RESOLVED: (Status.CLOSED, Status.REOPENED),
        Status.CLOSED: (Status.REOPENED,),
        Status.REJECTED: (Status.REOPENED,),
        Status.REFERRED: (Status.CLOSED, Status.REOPENED),
        Status.DUPLICATE: (Status.REOPENED,),
    }

    access_unit_field = "unit"
    # The text searched (core/search.py); search_stems holds its stems.
    search_columns = ("description", "address")

    client_id = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Generated by the sender so that a re-sent concern is recognised.",
    )

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
    address = models.CharField(_("address"), max_length=255, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_concerns",
    )
    agency = models.CharField(_("referred to"), max_length=120, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    attributes = models.JSONField(_("extra answers"), default=dict, blank=True)
    # Snowball stems of search_columns, which SQLite's full-text index reads (core/search.py).
    search_stems = models.TextField(editable=False, blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-created_at"]
        indexes = [
            # What the dashboard counts of a unit's concerns (new, open at a moment, overdue,
            # resolved), read from the index alone on PostgreSQL: 80 ms for a Polda's 200,000
            # concerns among 2 million, against 410 ms reading the table.
            models.Index(
                fields=["unit", "status"],
                include=["created_at", "resolved_at", "due_at"],
                name="concerns_unit_status",
            ),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__range=(1, 5)),
                name="concern_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_code} {self.category}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def overdue(self) -> bool:
        return self.is_overdue(self.status, self.due_at)

    @classmethod
    def is_overdue(cls, status: str, due_at, now=None) -> bool:
        """Open and past its due time (the API's rows ask it without a model)."""
        return status in cls.OPEN and due_at is not None and due_at < (now or timezone.now())

    def allowed_transitions(self) -> tuple[str, ...]:
        return self.transitions_from(self.status)

    @classmethod
    def transitions_from(cls, status: str) -> tuple[str, ...]:
        return cls.TRANSITIONS.get(status, ())

    @property
    def is_public(self) -> bool:
        return not self.confidential

    def reporter_may_reopen(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status in (self.Status.RESOLVED, self.Status.CLOSED)
            and self.resolved_at is not None
            and now - self.resolved_at <= timedelta(days=settings.PATROLI_REOPEN_DAYS)
        )

    @property
    def display_code(self) -> str:
        return f"{self.tracking_code[:4]}-{self.tracking_code[4:]}"


class ConcernEvent(models.Model):
    """Append-only history of a concern: every status change with its actor and note."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status change")
        ASSIGN = "assign", _("assignment")
        NOTE = "note", _("note")
        RATING = "rating", _("rating")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATUS)
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=Concern.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Concern.Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("concern event")
        verbose_name_plural = _("concern events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.from_status} → {self.to_status}"


def photo_path(instance, filename: str) -> str:
    # Unguessable names; files are served through views that check access, never listed.
    return f"concerns/{instance.concern_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ConcernPhoto(models.Model):
    """A photo of a concern, re-encoded without its metadata (EXIF, GPS included)."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_path)
    thumbnail = models.FileField(_("thumbnail"), upload_to=photo_path)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class Open311Key(models.Model):
    """An API key for an Open311 client (GeoReport v2 `api_key`). Only its hash is stored."""

    name = models.CharField(_("name"), max_length=120)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, name: str) -> tuple["Open311Key", str]:
        raw = secrets.token_urlsafe(24)
        return cls.objects.create(name=name, key_hash=hash_token(raw)), raw

    @classmethod
    def verify(cls, raw: str) -> "Open311Key | None":
        key = cls.objects.filter(key_hash=hash_token(raw or ""), active=True).first()
        if key is not None:
            cls.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key
