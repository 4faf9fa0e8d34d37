import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patroli.core.access import get_visible_or_404, visible
from patroli.core.photos import photo_response
from patroli.core.search import nothing_to_search
from patroli.sites.models import Site

from .filters import VisitFilterForm
from .forms import ConcernFormSet, IncidentFormSet, ParticipantFormSet, VisitForm
from .models import Visit, VisitPhoto
from .planning import todays_stops
from .services import ConcernData, DialogueData, IncidentData, ParticipantData, record_visit


@login_required
def today(request):
    """My unit's sites, never-visited first, then the longest unvisited."""
    sites = (
        visible(Site.objects.select_related("village", "unit"), request.user)
        .with_last_visit()
        .order_by(F("last_visit_at").asc(nulls_first=True), "village__name", "name")
    )
    page = Paginator(sites, 50).get_page(request.GET.get("page"))
    recent = visible(Visit.objects.select_related("site"), request.user)[:5]
    return render(
        request,
        "patrols/today.html",
        {"page": page, "recent": recent, "plan_stops": todays_stops(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    user = request.user
    if request.method == "POST":
        form = VisitForm(request.POST, request.FILES, user=user)
        participants = ParticipantFormSet(request.POST, prefix="p")
        concerns = ConcernFormSet(request.POST, prefix="c")
        incidents = IncidentFormSet(request.POST, prefix="i")
        formsets = (participants, concerns, incidents)
        if form.is_valid() and all(f.is_valid() for f in formsets):
            data = form.cleaned_data
            dialogue = DialogueData(
                participants=[
                    ParticipantData(**f.cleaned_data)
                    for f in participants
                    if f.cleaned_data.get("name")
                ],
                attendees=data["attendees"] or 0,
                topics=form.topic_list(),
                appeals=list(data["appeals"]),
                response=data["response"],
                notes=data["notes"],
                statement=data["statement"].strip(),
            )
            visit, created = record_visit(
                recorded_by=user,
                site=data["site"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                kind=data["kind"],
                lat=data["lat"],
                lon=data["lon"],
                dialogue=dialogue,
                concerns=[
                    ConcernData(f.cleaned_data["category"], f.cleaned_data["description"])
                    for f in concerns
                    if f.cleaned_data.get("category")
                ],
                incidents=[
                    IncidentData(**f.cleaned_data) for f in incidents if f.cleaned_data.get("kind")
                ],
                photos=data["photos"],
                visit_id=data["client_id"],
            )
            if created:
                messages.success(request, _("The visit was recorded."))
            else:
                messages.info(request, _("This visit had already been recorded."))
            return redirect("app:visit-detail", visit_id=visit.pk)
    else:
        initial = {}
        if (site_id := request.GET.get("site", "").strip()).isdigit():
            initial["site"] = visible(Site.objects.all(), user).filter(pk=site_id).first()
        form = VisitForm(user=user, initial=initial)
        participants = ParticipantFormSet(prefix="p")
        concerns = ConcernFormSet(prefix="c")
        incidents = IncidentFormSet(prefix="i")
    return render(
        request,
        "patrols/visit_form.html",
        {
            "form": form,
            "participants": participants,
            "concerns": concerns,
            "incidents": incidents,
            # For the offline form: the times typed are the unit's local time, and a copy kept
            # on the phone knows how old it is.
            "utc_offset": _utc_offset(),
            "rendered_at": int(time.time() * 1000),
        },
    )


def _utc_offset() -> str:
    """ "+08:00" for Asia/Makassar: the offset of the server's zone now."""
    raw = timezone.localtime().strftime("%z")
    return f"{raw[:3]}:{raw[3:]}"


@login_required
def visit_list(request):
    form = VisitFilterForm(request.GET)
    form.is_valid()  # the valid fields filter; the others show their error
    chosen = form.visit_filter()
    visits = chosen.apply(
        visible(Visit.objects.select_related("site__village", "unit", "dialogue"), request.user)
    )
    page = Paginator(visits, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patrols/visit_list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "nothing_to_search": nothing_to_search(chosen.q),
        },
    )


@login_required
def visit_detail(request, visit_id):
    visit = get_visible_or_404(Visit.objects.with_details(), request.user, pk=visit_id)
    return render(request, "patrols/visit_detail.html", {"visit": visit})


@login_required
def visit_photo(request, visit_id, photo_id, size):
    photo = get_visible_or_404(VisitPhoto.objects.all(), request.user, pk=photo_id, visit=visit_id)
    return photo_response(photo, size)
