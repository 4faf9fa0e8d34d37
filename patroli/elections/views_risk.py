"""Staff pages of the risk map: the user's sites by score, and one site's factors."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patroli.core.access import get_visible_or_404, visible
from patroli.regions.models import Region
from patroli.sites.models import Site

from . import risk
from .models import RiskScore

LEVEL_BADGES = {
    RiskScore.Level.LOW: "badge-positive",
    RiskScore.Level.MEDIUM: "status-received",
    RiskScore.Level.HIGH: "badge-negative",
}


@login_required
def risk_list(request):
    sites = visible(Site.objects.select_related("village", "risk"), request.user)
    villages = Region.objects.filter(pk__in=sites.values("village_id")).order_by("name")
    level = request.GET.get("level", "")
    if level in RiskScore.Level.values:
        sites = sites.filter(risk__level=level)
    else:
        level = ""
    village = request.GET.get("village", "")
    if village:
        sites = sites.filter(village_id=village)
    sites = sites.order_by(F("risk__score").desc(nulls_last=True), "name", "pk")
    page = Paginator(sites, 50).get_page(request.GET.get("page"))
    for site in page:
        score = getattr(site, "risk", None)
        site.risk_score = score
        site.level_badge = LEVEL_BADGES.get(score.level, "") if score else ""
        site.level_text = risk.level_label(score.level) if score else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "elections/risk_list.html",
        {
            "page": page,
            "level": level,
            "levels": [(value, risk.level_label(value)) for value in RiskScore.Level.values],
            "village": village,
            "villages": villages,
            "query": query.urlencode(),
        },
    )


def _value_text(factor: dict) -> str:
    name, value = factor.get("name"), factor.get("value")
    if name == "days_since_visit":
        if value is None:
            return _("never visited")
        return ngettext("%(n)d day", "%(n)d days", value) % {"n": value}
    if value is None:
        return "–"
    if name == "stage_multiplier":
        if not factor.get("detail"):
            return _("no election stage")
        return f"× {number_format(value, 2)}"
    if isinstance(value, float):
        return number_format(value, 1)
    return number_format(value, 0, force_grouping=True)


@login_required
def risk_site(request, site_id: int):
    site = get_visible_or_404(
        Site.objects.select_related("village", "unit"), request.user, pk=site_id
    )
    score = RiskScore.objects.filter(site=site).first() or risk.refresh_site(site.pk)
    rows = []
    for factor in score.factors:
        contribution = float(factor.get("contribution", 0.0))
        rows.append(
            {
                "name": factor.get("name", ""),
                "label": risk.factor_label(factor.get("name", ""), factor.get("label", "")),
                "value": _value_text(factor),
                "detail": factor.get("detail", ""),
                "contribution": contribution,
                "negative": contribution < 0,
                # Points of a 0-100 score are percentages of the bar; dot decimals for CSS.
                "width": f"{min(abs(contribution), 100.0):.1f}",
            }
        )
    return render(
        request,
        "elections/risk_site.html",
        {
            "site": site,
            "score": score,
            "level_badge": LEVEL_BADGES.get(score.level, ""),
            "level_text": risk.level_label(score.level),
            "rows": rows,
            "score_width": f"{min(max(score.score, 0.0), 100.0):.1f}",
        },
    )
