"""Public pages: home, report a problem, follow it by tracking code."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from patroli.concerns.forms import (
    RatingForm,
    ReopenForm,
    ReportForm,
    find_villages,
    village_label,
)
from patroli.concerns.models import Concern, ConcernPhoto, normalise_tracking_code
from patroli.concerns.services import (
    ConcernError,
    rate_concern,
    reopen_by_reporter,
)
from patroli.core.photos import photo_response
from patroli.core.ratelimit import client_ip, over_limit


def home(request):
    return render(request, "portal/home.html")


def _map_settings() -> dict:
    return {
        "tile_url": settings.PATROLI_TILE_URL,
        "tile_attribution": settings.PATROLI_TILE_ATTRIBUTION,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def report(request):
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_spam:
            return HttpResponseBadRequest(_("The report could not be accepted."))
        if over_limit("report", client_ip(request), settings.PATROLI_REPORT_RATE):
            context = {"form": form, "limited": True, **_map_settings()}
            response = render(request, "portal/report.html", context)
            response.status_code = 429
            return response
        if form.is_valid():
            try:
                concern, _created = form.submit(source=Concern.Source.WEB)
            except ConcernError as exc:
                form.add_error(exc.field, str(exc))
            else:
                request.session["reported"] = concern.tracking_code
                return redirect("portal:track", code=concern.tracking_code)
    else:
        form = ReportForm()
    return render(request, "portal/report.html", {"form": form, **_map_settings()})


@require_GET
def village_search(request):
    """Suggestions for the village field: [{"code", "label"}]."""
    text = request.GET.get("q", "").strip()
    if len(text) < 3:
        return JsonResponse({"items": []})
    items = [
        {"code": v.code, "label": village_label(v), "lat": v.lat, "lng": v.lng}
        for v in find_villages(text)
    ]
    return JsonResponse({"items": items})


@require_GET
def find_report(request):
    code = normalise_tracking_code(request.GET.get("code", ""))
    if not code:
        return redirect("portal:report")
    return redirect("portal:track", code=code)


def _tracked(code: str) -> Concern:
    concern = (
        Concern.objects.with_related().filter(tracking_code=normalise_tracking_code(code)).first()
    )
    if concern is None:
        raise Http404
    return concern


@never_cache
@require_http_methods(["GET", "POST"])
def track(request, code):
    """The public timeline of one concern. Whoever holds the code follows it; a confidential
    concern shows only its status and public notes."""
    concern = _tracked(code)
    if concern.tracking_code != code:
        return redirect("portal:track", code=concern.tracking_code)
    can_rate = concern.status in (Concern.Status.RESOLVED, Concern.Status.CLOSED) and (
        concern.rating is None
    )
    can_reopen = concern.reporter_may_reopen()
    rating_form = RatingForm(prefix="rate")
    reopen_form = ReopenForm(prefix="reopen")
    if request.method == "POST":
        if over_limit("track", client_ip(request), "20/h"):
            return HttpResponseBadRequest(_("Too many attempts. Try again later."))
        try:
            if "rate" in request.POST and can_rate:
                rating_form = RatingForm(request.POST, prefix="rate")
                if rating_form.is_valid():
                    rate_concern(
                        concern=concern,
                        rating=rating_form.cleaned_data["rating"],
                        comment=rating_form.cleaned_data["comment"],
                    )
                    messages.success(request, _("Thank you for your rating."))
                    return redirect("portal:track", code=concern.tracking_code)
            elif "reopen" in request.POST and can_reopen:
                reopen_form = ReopenForm(request.POST, prefix="reopen")
                if reopen_form.is_valid():
                    reopen_by_reporter(concern=concern, note=reopen_form.cleaned_data["note"])
                    messages.success(request, _("The report has been reopened."))
                    return redirect("portal:track", code=concern.tracking_code)
        except ConcernError as exc:
            messages.error(request, str(exc))
            return redirect("portal:track", code=concern.tracking_code)
    events = concern.events.filter(public=True).order_by("created_at", "id")
    photos = [] if concern.confidential else list(concern.photos.all())
    just_reported = request.session.pop("reported", None) == concern.tracking_code
    response = render(
        request,
        "portal/track.html",
        {
            "concern": concern,
            "events": events,
            "photos": photos,
            "can_rate": can_rate,
            "can_reopen": can_reopen,
            "rating_form": rating_form,
            "reopen_form": reopen_form,
            "just_reported": just_reported,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def photo(request, code, photo_id, size):
    concern = _tracked(code)
    if concern.confidential or size not in ("full", "thumb"):
        raise Http404
    item = ConcernPhoto.objects.filter(concern=concern, pk=photo_id).first()
    if item is None:
        raise Http404
    return photo_response(item, size)
