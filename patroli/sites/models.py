from collections.abc import Iterable
from datetime import datetime

from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from patroli.core.models import ChoiceLabels


def last_visit(until: datetime | None = None, *, inclusive: bool = True):
    """An expression for a site: the start of its last visit, counting only visits that start
    up to ``until`` when given (before it, with ``inclusive=False``), so that a report as of a
    past moment shows that moment.

    It reads the site's own ``latest_visit_at``, which is right whenever that lies before
    ``until`` (every report of today); the visits table is asked only for a site visited since.
    """
    if until is None:
        return F("latest_visit_at")
    from patroli.patrols.models import Visit

    bound = "started_at__lte" if inclusive else "started_at__lt"
    before = Visit.objects.filter(site=OuterRef("pk"), **{bound: until})
    still_right = Q(**{bound.replace("started_at", "latest_visit_at"): until})
    return Case(
        When(latest_visit_at__isnull=True, then=Value(None)),
        When(still_right, then=F("latest_visit_at")),
        default=Subquery(before.order_by("-started_at").values("started_at")[:1]),
        output_field=models.DateTimeField(),
    )


def refresh_latest_visits(site_ids: Iterable[int] | None = None) -> int:
    """Set ``latest_visit_at`` from the visits table, for these sites or for all; how many.

    For the paths that change visits one by one outside the visit services (the admin, a
    deletion) and after a bulk load; the services keep it with :func:`note_visits`."""
    from patroli.patrols.models import Visit

    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=set(site_ids))
    last = Visit.objects.filter(site=OuterRef("pk")).order_by("-started_at")
    return sites.update(latest_visit_at=Subquery(last.values("started_at")[:1]))


def visit_start(visit) -> datetime | None:
    """When ``visit`` started, aware, also for a visit built in memory with its start as an ISO
    string or a naive time (None when it has none)."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    started = visit.started_at
    if isinstance(started, str):
        started = parse_datetime(started)
    if started is not None and timezone.is_naive(started):
        started = timezone.make_aware(started)
    return started


def note_visits(visits: Iterable, batch=None) -> None:
    """Move the ``latest_visit_at`` of the visits' sites forward to the newest of them (a site
    never moves back: an older visit synced late changes nothing). The sites are locked in the
    order of their ids, also those whose value stays, so that two batches lock shared sites in
    the same order. Sent with ``batch`` (a :class:`patroli.core.bulk.Batch`) when given."""
    from patroli.core.bulk import Batch

    newest: dict[int, datetime] = {}
    for visit in visits:
        started = visit_start(visit)
        if started is None:
            continue
        if visit.site_id not in newest or started > newest[visit.site_id]:
            newest[visit.site_id] = started
    if not newest:
        return
    statements = batch or Batch(Site)
    connection = statements.connection
    table = connection.ops.quote_name(Site._meta.db_table)
    field = Site._meta.get_field("latest_visit_at")
    ids = sorted(newest)
    moments = [field.get_db_prep_save(newest[site_id], connection) for site_id in ids]
    if connection.vendor == "postgresql" and len(ids) > 1:
        # Two statements for all the sites (not one each): a device's outbox of 50 visits
        # names dozens of sites, and PostgreSQL plans each statement it is sent. The first
        # locks them, as an UPDATE of the row would (NO KEY: a foreign key's check of a row
        # that refers to the site, at another writer's commit, does not wait for it); the
        # second moves those whose latest visit is newer.
        statements.execute(
            f"SELECT 1 FROM {table} WHERE id = ANY(%s) ORDER BY id"  # noqa: S608
            " FOR NO KEY UPDATE",
            [ids],
        )
        statements.execute(
            f"UPDATE {table} AS s SET latest_visit_at = v.moment"  # noqa: S608
            " FROM UNNEST(%s::bigint[], %s::timestamptz[]) AS v(id, moment)"
            " WHERE s.id = v.id AND (s.latest_visit_at IS NULL OR s.latest_visit_at < v.moment)",
            [ids, moments],
        )
    else:
        # In-process, one prepared statement run for each site in the order of the ids. On
        # PostgreSQL, for one site (a single visit POSTed): an UPDATE of the row whatever its
        # value, so it is locked as by the two statements above, with one statement that is
        # cheaper to build and to plan (benchmarks/suite.py, "single POST").
        sql = (
            f"UPDATE {table} SET latest_visit_at = CASE WHEN latest_visit_at IS NULL"  # noqa: S608
            " OR latest_visit_at < %s THEN %s ELSE latest_visit_at END WHERE id = %s"
        )
        statements.executemany(sql, [(m, m, i) for i, m in zip(ids, moments, strict=True)])
    if batch is None:
        statements.send()


class SiteQuerySet(models.QuerySet):
    def with_last_visit(self, until: datetime | None = None, *, inclusive: bool = True):
        """Annotated with ``last_visit_at``: see :func:`last_visit`."""
        return self.annotate(last_visit_at=last_visit(until, inclusive=inclusive))

    def search(self, query: str) -> "SiteQuerySet":
        qs = self
        for word in query.split():
            qs = qs.filter(name__icontains=word)
        return qs


class Site(ChoiceLabels):
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
    # The start of its latest visit: a copy kept by every path that writes visits (the visit
    # services in bulk, Visit's signals for the others), so that coverage and the dashboards
    # count sites without reading the visits table (benchmarks/suite.py, "coverage").
    latest_visit_at = models.DateTimeField(_("latest visit"), null=True, blank=True, editable=False)

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

    def save(self, *args, **kwargs):
        # latest_visit_at belongs to the visit writers: an edit of the site (the admin, the
        # importer) writes every other field, not the copy it read, which a visit may have
        # moved on since.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname != "latest_visit_at"
            ]
        super().save(*args, **kwargs)

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lng is not None
