"""What a dashboard, report or export looks at: a unit's subtree, a period, a place, and filters.

Every filter lives in the query string, so a view can be bookmarked, shared and fetched by a
scheduled job. The same ``Scope`` drives the dashboard, the reports and the exports, so that what
a commander downloads is what the screen showed.

Query parameters (all optional):

- ``unit``: a unit code inside the user's subtree (default: the user's own unit; the whole country
  for an administrator without a unit). A unit outside the subtree answers 404.
- ``date``: one day (``2024-01-23``); or ``from`` and ``to``: a period of days, both included
  (default: the seven days ending today). At most ``MAX_DAYS`` days.
- ``village``: a region code; a village, or every village of a district by its code prefix.
- ``status``, ``category``, ``severity``, ``kind``: narrow exports of concerns, incidents and sites.

Every queryset passes the access gate first, then the unit, then the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from patroli.concerns.models import Concern
from patroli.core.access import visible
from patroli.elections.models import Incident
from patroli.patrols.models import Visit
from patroli.sites.models import Site
from patroli.units.models import Unit

MAX_DAYS = 366


class ScopeError(ValueError):
    """Bad filter values: ``errors`` maps each parameter to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    def as_response(self, request) -> HttpResponse:
        """400 naming each bad parameter: JSON when the client asks for it, else plain text."""
        message = _("Some filters are not valid.")
        if "json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message, "errors": self.errors}, status=400)
        lines = [message, *(f"{param}: {text}" for param, text in self.errors.items())]
        return HttpResponse(
            "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )


def _parse_day(value: str, name: str, errors: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD, for example 2024-01-23.")
        return None


def local_today() -> dt.date:
    return timezone.localdate()


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments from the start of ``start`` to the start of the day after ``end`` (local)."""
    tz = timezone.get_current_timezone()
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return begin, finish


@dataclass(frozen=True)
class Scope:
    user: object
    unit: Unit | None  # None: everything the user may see (an administrator without a unit)
    start: dt.date
    end: dt.date
    village: str = ""
    status: tuple[str, ...] = ()
    category: str = ""
    severity: str = ""
    kind: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def from_request(cls, request, *, default_days: int = 7) -> Scope:
        return cls.from_params(request.user, request.GET, default_days=default_days)

    @classmethod
    def from_params(cls, user, params, *, default_days: int = 7) -> Scope:
        """Read the filters; ``ScopeError`` names each bad one; a foreign unit is Http404."""
        errors: dict[str, str] = {}
        unit = cls._unit(user, params.get("unit", "").strip())
        today = local_today()
        start = end = None
        if day := params.get("date", "").strip():
            start = end = _parse_day(day, "date", errors)
        else:
            if value := params.get("to", "").strip():
                end = _parse_day(value, "to", errors)
            if value := params.get("from", "").strip():
                start = _parse_day(value, "from", errors)
        end = end or today
        start = start or end - dt.timedelta(days=default_days - 1)
        if not errors:
            if start > end:
                errors["from"] = _("The start of the period is after its end.")
            elif (end - start).days + 1 > MAX_DAYS:
                errors["from"] = _("A period may span at most %(days)d days.") % {"days": MAX_DAYS}
        village = params.get("village", "").strip()
        if village and not all(part.isdigit() for part in village.split(".")):
            errors["village"] = _("Enter a region code such as 64.09.04.1005.")
        statuses = tuple(s for s in params.getlist("status") if s)
        if unknown := [s for s in statuses if s not in Concern.Status.values]:
            errors["status"] = _("Unknown status: %(values)s.") % {"values": ", ".join(unknown)}
        severity = params.get("severity", "").strip()
        if severity and severity not in Incident.Severity.values:
            errors["severity"] = _("Unknown severity: %(value)s.") % {"value": severity}
        if errors:
            raise ScopeError(errors)
        return cls(
            user=user,
            unit=unit,
            start=start,
            end=end,
            village=village,
            status=statuses,
            category=params.get("category", "").strip(),
            severity=severity,
            kind=params.get("kind", "").strip(),
        )

    @staticmethod
    def _unit(user, code: str) -> Unit | None:
        if code:
            unit = visible(Unit.objects.filter(code=code), user).first()
            if unit is None:
                raise Http404
            return unit
        if user.is_superuser and user.unit is None:
            return None
        if user.unit is None:
            raise Http404
        return user.unit

    # -- describing -------------------------------------------------------------------------

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return day_bounds(self.start, self.end)

    def params(self, **override) -> dict[str, str]:
        """The query parameters that rebuild this scope (``override`` replaces or drops keys)."""
        data = {
            "unit": self.unit.code if self.unit else "",
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "village": self.village,
            "category": self.category,
            "severity": self.severity,
            "kind": self.kind,
        }
        data.update(override)
        return {k: v for k, v in data.items() if v}

    def query(self, **override) -> str:
        pairs = list(self.params(**override).items())
        if "status" not in override:
            pairs += [("status", s) for s in self.status]
        return urlencode(pairs)

    # -- the records ------------------------------------------------------------------------

    def _in_unit(self, queryset: QuerySet) -> QuerySet:
        return visible(queryset, self.user, within=self.unit)

    def units(self) -> QuerySet[Unit]:
        return self._in_unit(Unit.objects.all())

    def sites(self) -> QuerySet[Site]:
        sites = self._in_unit(Site.objects.all())
        if self.village:
            sites = sites.filter(village__code__startswith=self.village)
        if self.kind:
            sites = sites.filter(kind=self.kind)
        return sites

    def visits(self, *, period: bool = True) -> QuerySet[Visit]:
        visits = self._in_unit(Visit.objects.all())
        if period:
            begin, finish = self.bounds
            visits = visits.filter(started_at__gte=begin, started_at__lt=finish)
        if self.village:
            visits = visits.filter(site__village__code__startswith=self.village)
        return visits

    def concerns(self, *, period: bool = True) -> QuerySet[Concern]:
        concerns = self._in_unit(Concern.objects.all())
        if period:
            begin, finish = self.bounds
            concerns = concerns.filter(created_at__gte=begin, created_at__lt=finish)
        if self.village:
            concerns = concerns.filter(village__code__startswith=self.village)
        if self.status:
            concerns = concerns.filter(status__in=self.status)
        if self.category:
            concerns = concerns.filter(category__code=self.category)
        return concerns

    def incidents(self, *, period: bool = True) -> QuerySet[Incident]:
        incidents = self._in_unit(Incident.objects.all())
        if period:
            begin, finish = self.bounds
            incidents = incidents.filter(occurred_at__gte=begin, occurred_at__lt=finish)
        if self.village:
            incidents = incidents.filter(
                Q(village__code__startswith=self.village)
                | Q(village__isnull=True, site__village__code__startswith=self.village)
            )
        if self.severity:
            incidents = incidents.filter(severity=self.severity)
        if self.kind:
            incidents = incidents.filter(kind=self.kind)
        return incidents
