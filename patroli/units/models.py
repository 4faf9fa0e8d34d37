import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import StartsWith
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitQuerySet(models.QuerySet):
    def responsible_for(self, region) -> "Unit | None":
        """The deepest unit whose jurisdiction holds the region or one of its ancestors."""
        codes = [*region.ancestor_codes(), region.code]
        return self.filter(regions__code__in=codes).order_by(Length("path").desc()).first()


class Unit(models.Model):
    """A police unit: Polda (province), Polres (regency), Polsek (district)."""

    class Level(models.TextChoices):
        POLDA = "polda", "Polda"
        POLRES = "polres", "Polres"
        POLSEK = "polsek", "Polsek"

    access_unit_field = "self"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("polda-kaltim/polres-ppu/"): a subtree is one prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    regions = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("jurisdiction"),
        blank=True,
        related_name="units",
        help_text=_("Regions this unit is responsible for (a Polsek usually one district)."),
    )
    email = models.EmailField(_("e-mail"), blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The path is derived from the parent; moving a unit re-roots its subtree.
        old_path = self.path
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save()

    def subtree(self) -> models.QuerySet["Unit"]:
        return Unit.objects.filter(path__startswith=self.path)


class PathStartsWith(StartsWith):
    """``path__startswith`` on a unit's path (the access gate's subtree), case-sensitive on
    every database.

    Django writes ``startswith`` on SQLite as ``LIKE %s ESCAPE '\\'``, which there ignores
    case: ``polsek-a/`` also matched the subtree of a unit coded ``POLSEK-A`` (codes are slugs,
    and unique only as written), which PostgreSQL's LIKE does not. SQLite also prepares a
    statement with such a LIKE again at each run (its LIKE optimisation depends on the pattern):
    0.1 ms of a Polsek's coverage count of 0.2 (benchmarks/suite.py).

    On SQLite this is the range of the paths that start with the prefix instead: in its binary
    collation (UTF-8 bytes, in code point order), exactly those. The range is written on
    ``+path``, which keeps the index on the path out of it, as it was of the LIKE: given that
    index, SQLite went from the units to their records, and a Polda's dashboard counted its
    concerns in 25 ms instead of 2 (by their date). The units are few; the records' own
    indexes choose better.
    """

    @staticmethod
    def beyond(prefix: str) -> str | None:
        """The least text above every text that starts with ``prefix`` (None when there is
        none to write: an empty prefix, or one ending in the last character before the
        surrogates or in the very last)."""
        if not prefix or ord(prefix[-1]) >= 0xD7FF:
            return None
        return prefix[:-1] + chr(ord(prefix[-1]) + 1)

    def as_sqlite(self, compiler, connection):
        prefix = self.rhs
        if not self.rhs_is_direct_value() or not isinstance(prefix, str):
            return super().as_sql(compiler, connection)
        if (beyond := self.beyond(prefix)) is None:
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"(+{lhs} >= %s AND +{lhs} < %s)", [*lhs_params, prefix, *lhs_params, beyond]


Unit._meta.get_field("path").register_lookup(PathStartsWith)


class Officer(AbstractUser):
    """A user of Patroli: a police officer with a rank and a unit, or an administrator."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("field officer")
        COMMANDER = "commander", _("commander")
        HUMAS = "humas", _("public relations")
        ADMIN = "admin", _("administrator")

    class Rank(models.TextChoices):
        BRIPDA = "Bripda", "Bripda"
        BRIPTU = "Briptu", "Briptu"
        BRIGPOL = "Brigpol", "Brigpol"
        BRIPKA = "Bripka", "Bripka"
        AIPDA = "Aipda", "Aipda"
        AIPTU = "Aiptu", "Aiptu"
        IPDA = "Ipda", "Ipda"
        IPTU = "Iptu", "Iptu"
        AKP = "AKP", "AKP"
        KOMPOL = "Kompol", "Kompol"
        AKBP = "AKBP", "AKBP"
        KOMBES = "Kombes Pol", "Kombes Pol"
        BRIGJEN = "Brigjen Pol", "Brigjen Pol"

    rank = models.CharField(_("rank"), max_length=20, choices=Rank.choices, blank=True)
    nrp = models.CharField(_("NRP"), max_length=20, blank=True, help_text=_("Police ID number"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OFFICER)
    position = models.CharField(
        _("position"), max_length=120, blank=True, help_text=_("e.g. Kapolsek Sepaku")
    )

    access_unit_field = "unit"

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_of(self.rank, self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(rank: str, first_name: str, last_name: str, username: str) -> str:
        """An officer's display name from those columns (read without the model)."""
        name = f"{first_name} {last_name}".strip() or username
        return f"{rank} {name}".strip()

    @property
    def is_commander(self) -> bool:
        return self.role in {self.Role.COMMANDER, self.Role.ADMIN} or self.is_superuser


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for devices. Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.name}".strip()

    @classmethod
    def issue(cls, user, name: str = "") -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=hash_token(raw),
            expires_at=timezone.now() + timedelta(days=settings.PATROLI_TOKEN_DAYS),
        )
        return token, raw


class TwoFactor(models.Model):
    """An officer's authenticator app (TOTP, RFC 6238), stored once confirmed with a code.

    The secret must be readable to check codes; ``last_step`` is the time step of the last code
    accepted, so that a code seen over a shoulder cannot be used a second time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = models.CharField(max_length=64, editable=False)
    enabled_at = models.DateTimeField(_("enabled"), auto_now_add=True)
    last_step = models.BigIntegerField(null=True, editable=False)

    class Meta:
        verbose_name = _("two-factor authentication")
        verbose_name_plural = _("two-factor authentications")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """A one-time code that replaces the authenticator app once (a lost phone). Only its keyed
    hash is stored (see twofactor.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"
