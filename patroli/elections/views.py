from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patroli.core.access import can_see_unit, visible
from patroli.units.models import Unit

from .forms import IncidentForm
from .models import Incident, Stage
from .services import IncidentError, record_incident


@login_required
@require_http_methods(["GET", "POST"])
def incidents(request):
    form = IncidentForm(user=request.user)
    if request.method == "POST":
        form = IncidentForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            site = data["site"]
            village = site.village if site else data["village"]
            try:
                if site is None:
                    # The form offers only the sites the user sees; a village typed instead must
                    # be in the user's jurisdiction too, as in the API.
                    unit = Unit.objects.responsible_for(village)
                    if unit is None or not can_see_unit(request.user, unit):
                        raise IncidentError(
                            _("This village is outside your unit's jurisdiction."), "village"
                        )
                record_incident(
                    recorded_by=request.user,
                    kind=data["kind"],
                    severity=data["severity"],
                    occurred_at=data["occurred_at"],
                    site=site,
                    village=village,
                    description=data["description"],
                    incident_id=data["client_id"],
                )
            except IncidentError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("The incident was recorded."))
                return redirect("incidents:list")
    listing = visible(Incident.objects.select_related("site", "village", "unit"), request.user)
    if (severity := request.GET.get("severity", "")) in Incident.Severity.values:
        listing = listing.filter(severity=severity)
    return render(
        request,
        "elections/incidents.html",
        {
            "form": form,
            "page": Paginator(listing, 30).get_page(request.GET.get("page")),
            "severity": severity,
            "severities": Incident.Severity.choices,
            "stages": Stage.objects.all(),
        },
    )
