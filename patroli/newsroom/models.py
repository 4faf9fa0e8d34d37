from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patroli.core.search import full_text_search

from .markup import plain_text, render_markdown


class ReleaseQuerySet(models.QuerySet):
    def live(self, now=None):
        """Published and due: what the public sees (scheduled releases wait for their time)."""
        now = now or timezone.now()
        return self.filter(status=Release.Status.PUBLISHED, published_at__lte=now)

    def search(self, query: str) -> "ReleaseQuerySet":
        """Releases holding every word of ``query`` (Indonesian full-text), best first."""
        return full_text_search(self, query)


class Release(models.Model):
    """A news release, usually drafted from a patrol."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEW = "review", _("in review")
        PUBLISHED = "published", _("published")

    access_unit_field = "unit"
    # The text searched (core/search.py); search_stems holds its stems.
    search_columns = ("title", "body")

    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="releases"
    )
    visit = models.ForeignKey(
        "patrols.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="releases",
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    dateline = models.CharField(_("dateline"), max_length=120, blank=True)
    body = models.TextField(_("body"), help_text=_("Markdown: blank lines between paragraphs."))
    body_html = models.TextField(editable=False, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_("A time in the future schedules the publication."),
    )
    cover = models.FileField(_("cover photo"), upload_to="releases/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Snowball stems of search_columns, which SQLite's full-text index reads (core/search.py).
    search_stems = models.TextField(editable=False, blank=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:detail", args=[self.slug])

    def render(self) -> None:
        """Derive the HTML and the summary from the Markdown body."""
        self.body_html = render_markdown(self.body)
        text = plain_text(self.body)
        if self.dateline and text.startswith(self.dateline):
            text = text[len(self.dateline) :].strip()
        self.summary = text[:297] + "…" if len(text) > 300 else text

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.PUBLISHED and not self.is_live


class Revision(models.Model):
    """Who changed what in a release, and when (append-only)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20)
    changed = models.JSONField(_("changed fields"), default=list)
    title = models.CharField(max_length=200)
    dateline = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.release_id} {self.action}"


class CommentQuerySet(models.QuerySet):
    def visible_to_public(self):
        return self.filter(status=Comment.Status.APPROVED)


class Comment(models.Model):
    """A reader's comment on a release. The e-mail address is never shown to anyone public."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        APPROVED = "approved", _("approved")
        SPAM = "spam", _("spam")
        REMOVED = "removed", _("removed")

    MAX_DEPTH = 3
    access_unit_field = "release__unit"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("e-mail"))
    website = models.URLField(_("website"), blank=True, max_length=200)
    body = models.TextField(_("comment"), max_length=3000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    held_because = models.CharField(_("held because"), max_length=120, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["release", "status"]),
            models.Index(fields=["email", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.body[:40]}"


class BlockedTerm(models.Model):
    """A word or phrase that holds a comment for moderation (case-insensitive)."""

    term = models.CharField(_("word or phrase"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("blocked term")
        verbose_name_plural = _("blocked terms")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term
