"""``/app/reports/daily.<fmt>`` and ``/app/reports/anev.<fmt>``: a unit's reports as files.

Daily: ``unit`` (default: the reader's own) and ``date`` (default: today). Anev: ``unit``, and
``from`` and ``to``, or ``period=week|month`` ending on ``to`` (default: a week ending today).
Both also take the dashboard's ``village`` (a village, or a district by its code), so that the
report downloaded from a filtered dashboard holds what the screen showed; other filters are not
read (a report is about the whole unit).
A logged-in session or an ``Authorization: Bearer`` token; see docs/reports.md.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, QueryDict
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .auth import session_or_token
from .report_pdf import render_pdf
from .report_xlsx import render_xlsx
from .reports import PERIODS, Report, anev_report, daily_report, period_start
from .scope import Scope, ScopeError, local_today

RENDERERS = {
    "pdf": (render_pdf, "application/pdf"),
    "xlsx": (
        render_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def daily_scope(user, params) -> Scope:
    """The one day a daily report covers; raises ScopeError, or Http404 for a foreign unit."""
    query = QueryDict(mutable=True)
    query["unit"] = params.get("unit", "")
    query["village"] = params.get("village", "")
    query["date"] = params.get("date", "").strip() or local_today().isoformat()
    return Scope.from_params(user, query)


def anev_scope(user, params) -> Scope:
    """The period of an Anev: ``from``-``to``, or a ``period`` (week, month) ending on ``to``."""
    query = QueryDict(mutable=True)
    query["unit"] = params.get("unit", "")
    query["village"] = params.get("village", "")
    end = params.get("to", "").strip() or local_today().isoformat()
    query["to"] = end
    start = params.get("from", "").strip()
    span = params.get("period", "").strip()
    if start and span:
        raise ScopeError({"period": _("Give either from or period, not both.")})
    if span and span not in PERIODS:
        raise ScopeError({"period": _("Choose week or month.")})
    if not start:
        try:
            start = period_start(dt.date.fromisoformat(end), span or "week").isoformat()
        except ValueError:
            start = ""  # the bad "to" is reported by the scope
    query["from"] = start
    return Scope.from_params(user, query)


def _file(report: Report, fmt: str) -> HttpResponse:
    render, content_type = RENDERERS[fmt]
    response = HttpResponse(render(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename(fmt)}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@session_or_token
def daily(request, fmt: str):
    try:
        scope = daily_scope(request.user, request.GET)
    except ScopeError as error:
        return error.as_response(request)
    return _file(daily_report(scope), fmt)


@require_GET
@session_or_token
def anev(request, fmt: str):
    try:
        scope = anev_scope(request.user, request.GET)
    except ScopeError as error:
        return error.as_response(request)
    return _file(anev_report(scope), fmt)
