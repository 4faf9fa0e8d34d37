"""Coverage and patrol plans in the web app (/app/rencana/).

Everyone sees the coverage and the plans of the units they may see; anyone may ask for a draft
plan; commanders and administrators move or remove stops of a draft and approve it.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from patroli.core.access import get_visible_or_404, visible
from patroli.units.models import Unit

from .coverage import coverage_summary
from .models import PatrolPlan, PlanStop
from .planning import (
    MAX_HOURS,
    MAX_TEAMS,
    MIN_HOURS,
    PlanError,
    approve_plan,
    can_manage,
    create_plan,
    move_stop,
    plan_routes,
    remove_stop,
)

LEFT_ALONE_SHOWN = 100


class PlanForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    teams = forms.IntegerField(
        label=gettext_lazy("Teams"), min_value=1, max_value=MAX_TEAMS, initial=2
    )
    hours_per_team = forms.FloatField(
        label=gettext_lazy("Hours per team"),
        min_value=MIN_HOURS,
        max_value=MAX_HOURS,
        initial=6,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = visible(Unit.objects.all(), user)
        self.fields["unit"].queryset = units
        if user.unit_id and not self.is_bound:
            self.initial.setdefault("unit", user.unit_id)
        self.initial.setdefault("date", timezone.localdate() + timedelta(days=1))

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The date is in the past."))
        return day


def _int(value, default: int | None = None, low: int | None = None, high: int | None = None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if (low is not None and number < low) or (high is not None and number > high):
        return default
    return number


@login_required
def coverage_page(request):
    """The "left alone" list and the coverage per village of a unit (default: mine)."""
    user = request.user
    units = visible(Unit.objects.all(), user)
    days = _int(request.GET.get("days"), 7, 1, 365)
    unit = None
    if (unit_id := _int(request.GET.get("unit"))) is not None:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise Http404
    elif user.unit is not None:
        unit = user.unit
    # Counted by the database, and only the head of the list read: a Polda has tens of thousands
    # of sites.
    result = coverage_summary(
        unit if unit is not None else units, days=days, left_alone=LEFT_ALONE_SHOWN
    )
    return render(
        request,
        "patrols/coverage.html",
        {
            "cov": result,
            "unit": unit,
            "units": units,
            "days": days,
            "left_alone": result.left_alone,
            "more": result.total.left_alone - len(result.left_alone),
        },
    )


@login_required
def plan_list(request):
    plans = visible(
        PatrolPlan.objects.select_related("unit", "created_by", "approved_by"), request.user
    )
    page = Paginator(plans, 25).get_page(request.GET.get("page"))
    return render(
        request, "patrols/plan_list.html", {"page": page, "can_manage": can_manage(request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    initial = {}
    if (unit_id := _int(request.GET.get("unit"))) is not None:
        initial["unit"] = unit_id
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = create_plan(
                unit=data["unit"],
                date=data["date"],
                teams=data["teams"],
                hours_per_team=data["hours_per_team"],
                created_by=request.user,
            )
        except PlanError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("A draft plan was made."))
            return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "patrols/plan_form.html", {"form": form})


def _plan(request, plan_id) -> PatrolPlan:
    return get_visible_or_404(
        PatrolPlan.objects.select_related("unit", "created_by", "approved_by"),
        request.user,
        pk=plan_id,
    )


@login_required
def plan_detail(request, plan_id):
    plan = _plan(request, plan_id)
    manager = can_manage(request.user)
    return render(
        request,
        "patrols/plan_detail.html",
        {
            "plan": plan,
            "routes": plan_routes(plan),
            "can_manage": manager,
            "editable": manager and plan.status == PatrolPlan.Status.DRAFT,
            "team_numbers": range(1, plan.teams + 1),
        },
    )


def _refused(request, exc: PlanError) -> None:
    if exc.status == 403:
        raise PermissionDenied(str(exc))
    if exc.status == 404:
        raise Http404
    messages.error(request, str(exc))


@login_required
@require_POST
def plan_approve(request, plan_id):
    plan = _plan(request, plan_id)
    try:
        approve_plan(plan=plan, actor=request.user)
    except PlanError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The plan was approved."))
    return redirect("plans:detail", plan_id=plan.pk)


@login_required
@require_POST
def stop_remove(request, plan_id, stop_id):
    plan = _plan(request, plan_id)
    stop = get_object_or_404(PlanStop.objects.select_related("plan__unit"), plan=plan, pk=stop_id)
    try:
        remove_stop(stop=stop, actor=request.user)
    except PlanError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The stop was removed."))
    return redirect("plans:detail", plan_id=plan.pk)


@login_required
@require_POST
def stop_move(request, plan_id, stop_id):
    """Move a stop: ``direction`` up or down within its team, or to ``team`` (at ``order``)."""
    plan = _plan(request, plan_id)
    stop = get_object_or_404(PlanStop.objects.select_related("plan__unit"), plan=plan, pk=stop_id)
    direction = request.POST.get("direction")
    if direction in {"up", "down"}:
        team, order = stop.team, stop.order + (-1 if direction == "up" else 1)
    else:
        team = _int(request.POST.get("team"), stop.team)
        order = _int(request.POST.get("order"), 10_000)  # default: at the end of the team
    try:
        move_stop(stop=stop, actor=request.user, team=team, order=order)
    except PlanError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The stop was moved."))
    return redirect("plans:detail", plan_id=plan.pk)
