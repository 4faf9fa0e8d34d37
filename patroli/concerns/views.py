"""Staff pages for concerns: the queue, one concern, staff entry, CSV export."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patroli.core.access import get_visible_or_404, visible
from patroli.core.photos import photo_response
from patroli.core.search import nothing_to_search
from patroli.units.models import Officer, Unit

from .filters import ConcernFilter
from .forms import AssignForm, StaffConcernForm, TransitionForm
from .models import Category, Concern, ConcernPhoto, normalise_tracking_code
from .services import ConcernError, assign_concern, move_concern


def _queue(request):
    filters = ConcernFilter.from_query(request.GET)
    concerns = filters.apply(visible(Concern.objects.with_related(), request.user))
    return filters, concerns


@login_required
def queue(request):
    filters, concerns = _queue(request)
    if request.GET.get("format") == "csv":
        return _csv(concerns)
    page = Paginator(concerns, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "concerns/queue.html",
        {
            "page": page,
            "filters": filters,
            "nothing_to_search": nothing_to_search(filters.q),
            "query": query.urlencode(),
            "statuses": Concern.Status.choices,
            "sources": Concern.Source.choices,
            "categories": Category.objects.filter(active=True),
            "bulk_statuses": Concern.Status.choices,
            "units": visible(Unit.objects.all(), request.user),
            "now": timezone.now(),
        },
    )


class _Echo:
    def write(self, value):
        return value


def _csv(concerns):
    """Exactly the filtered queue, streamed so that a large export stays light."""
    writer = csv.writer(_Echo())
    header = [
        _("tracking code"),
        _("received"),
        _("status"),
        _("overdue"),
        _("due"),
        _("category"),
        _("source"),
        _("village code"),
        _("village"),
        _("unit"),
        _("assigned officer"),
        _("description"),
        _("reporter's name"),
        _("reporter's phone"),
        _("reporter's e-mail"),
        _("anonymous"),
        _("confidential"),
    ]

    def rows():
        yield "\ufeff"  # so that spreadsheet programs read UTF-8
        yield writer.writerow(header)
        for c in concerns.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    c.display_code,
                    timezone.localtime(c.created_at).isoformat(timespec="minutes"),
                    c.get_status_display(),
                    _("yes") if c.overdue else _("no"),
                    timezone.localtime(c.due_at).isoformat(timespec="minutes") if c.due_at else "",
                    c.category.name,
                    c.get_source_display(),
                    c.village_id,
                    c.village.name,
                    c.unit.name,
                    c.assigned_to.display_name if c.assigned_to else "",
                    c.description,
                    c.reporter_name,
                    c.reporter_phone,
                    c.reporter_email,
                    _("yes") if c.anonymous else _("no"),
                    _("yes") if c.confidential else _("no"),
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aduan-{stamp}.csv"'
    return response


def _assign_form(request, concern, data=None):
    units = visible(Unit.objects.all(), request.user)
    officers = visible(Officer.objects.filter(is_active=True), request.user).select_related("unit")
    return AssignForm(
        data,
        units=units,
        officers=officers,
        initial={"unit": concern.unit_id, "officer": concern.assigned_to_id},
        prefix="assign",
    )


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, concern_id):
    concern = get_visible_or_404(Concern.objects.with_related(), request.user, pk=concern_id)
    transition_form = TransitionForm(concern=concern, prefix="move")
    assign_form = _assign_form(request, concern)
    if request.method == "POST":
        try:
            if "move" in request.POST:
                transition_form = TransitionForm(request.POST, concern=concern, prefix="move")
                if transition_form.is_valid():
                    data = transition_form.cleaned_data
                    duplicate_of = None
                    if data["duplicate_of"]:
                        duplicate_of = (
                            visible(Concern.objects.all(), request.user)
                            .filter(tracking_code=normalise_tracking_code(data["duplicate_of"]))
                            .first()
                        )
                        if duplicate_of is None:
                            raise ConcernError(_("No concern has that code."), "duplicate_of")
                    move_concern(
                        concern=concern,
                        actor=request.user,
                        to_status=data["status"],
                        note=data["note"],
                        public=data["public"],
                        duplicate_of=duplicate_of,
                        agency=data["agency"],
                    )
                    messages.success(request, _("The status was changed."))
                    return redirect("concerns:detail", concern_id=concern.pk)
            elif "assign" in request.POST:
                assign_form = _assign_form(request, concern, request.POST)
                if assign_form.is_valid():
                    data = assign_form.cleaned_data
                    assign_concern(
                        concern=concern,
                        actor=request.user,
                        unit=data["unit"],
                        officer=data["officer"],
                        note=data["note"],
                    )
                    messages.success(request, _("The concern was assigned."))
                    if visible(Concern.objects.filter(pk=concern.pk), request.user).exists():
                        return redirect("concerns:detail", concern_id=concern.pk)
                    return redirect("concerns:queue")
        except ConcernError as exc:
            form = transition_form if "move" in request.POST else assign_form
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    return render(
        request,
        "concerns/detail.html",
        {
            "concern": concern,
            "events": concern.events.select_related("actor"),
            "photos": concern.photos.all(),
            "transition_form": transition_form,
            "assign_form": assign_form,
        },
    )


@login_required
@require_POST
def bulk(request):
    """One action on several concerns of the queue; each moved on its own, refusals reported."""
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    concerns = list(visible(Concern.objects.all(), request.user).filter(pk__in=ids))
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()
    done, refused = 0, []
    if action.startswith("status:"):
        target = action.split(":", 1)[1]
        for concern in concerns:
            try:
                move_concern(
                    concern=concern,
                    actor=request.user,
                    to_status=target,
                    note=note,
                    public=request.POST.get("public") == "on",
                )
                done += 1
            except ConcernError as exc:
                refused.append(f"{concern.display_code}: {exc}")
    elif action.startswith("unit:"):
        unit = visible(Unit.objects.all(), request.user).filter(pk=action.split(":", 1)[1]).first()
        for concern in concerns if unit else []:
            assign_concern(concern=concern, actor=request.user, unit=unit, note=note)
            done += 1
    if done:
        messages.success(request, _("%(n)d concerns updated.") % {"n": done})
    for line in refused:
        messages.error(request, line)
    if not done and not refused:
        messages.error(request, _("Choose concerns and an action."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "concerns:queue"  # never send a user off to another site
    return redirect(back or "concerns:queue")


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """A concern taken by phone or at the desk."""
    if request.method == "POST":
        form = StaffConcernForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    concern, _created = form.submit(
                        source=Concern.Source.STAFF, created_by=request.user
                    )
                    if not visible(Concern.objects.filter(pk=concern.pk), request.user).exists():
                        raise ConcernError(
                            _("This village is outside your unit's jurisdiction."), "village"
                        )
            except ConcernError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(
                    request, _("Concern %(code)s recorded.") % {"code": concern.display_code}
                )
                return redirect("concerns:detail", concern_id=concern.pk)
    else:
        form = StaffConcernForm()
    return render(request, "concerns/new.html", {"form": form})


@login_required
def photo(request, concern_id, photo_id, size):
    concern = get_visible_or_404(Concern.objects.all(), request.user, pk=concern_id)
    item = ConcernPhoto.objects.filter(concern=concern, pk=photo_id).first()
    if item is None:
        raise Http404
    return photo_response(item, size)
