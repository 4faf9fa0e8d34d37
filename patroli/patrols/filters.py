"""The visit list's filters, shared by the page (/app/kunjungan/) and the API (GET /visits)."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patroli.regions.importer import CODE_PATTERNS

from .models import Dialogue, Visit


@dataclass
class VisitFilter:
    site: int | None = None
    village: str = ""  # a village, or every village of a district or regency, by code prefix
    kind: str = ""
    response: str = ""
    far_from_site: bool | None = None
    since: dt.datetime | None = None  # started at or after
    until: dt.datetime | None = None  # started at or before
    q: str = ""

    def apply(self, visits: QuerySet[Visit]) -> QuerySet[Visit]:
        if self.site:
            visits = visits.filter(site_id=self.site)
        if self.village:
            visits = visits.filter(site__village__code__startswith=self.village)
        if self.kind:
            visits = visits.filter(kind=self.kind)
        if self.response:
            visits = visits.filter(response=self.response)
        if self.far_from_site is not None:
            visits = visits.filter(far_from_site=self.far_from_site)
        if self.since:
            visits = visits.since(self.since)
        if self.until:
            visits = visits.until(self.until)
        if self.q:
            visits = visits.search(self.q)
        return visits


_Day = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _all(choices) -> list[tuple[str, str]]:
    return [("", _("all")), *choices]


class VisitFilterForm(forms.Form):
    """The page's filters: days in the unit's local time, as the dashboard counts them."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("site, topic, notes")}),
    )
    start = forms.DateField(label=_("From"), required=False, widget=_Day)
    end = forms.DateField(label=_("To"), required=False, widget=_Day)
    village = forms.CharField(
        label=_("Village code"),
        required=False,
        max_length=13,
        widget=forms.TextInput(attrs={"placeholder": "64.09.04"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_all(Visit.Kind.choices))
    response = forms.ChoiceField(
        label=_("Response"), required=False, choices=_all(Dialogue.Response.choices)
    )
    far = forms.BooleanField(label=_("Only far from the site"), required=False)
    site = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_village(self) -> str:
        code = self.cleaned_data["village"].strip()
        if code and not any(shape.match(code) for shape in CODE_PATTERNS.values()):
            raise forms.ValidationError(
                _("Enter a region code such as 64.09.04 or 64.09.04.2004."), code="invalid"
            )
        return code

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("start", _("The start of the period is after its end."))
        return data

    def visit_filter(self) -> VisitFilter:
        """The filter of the fields that are valid (an invalid one is shown, not applied)."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        start, end = data.get("start"), data.get("end")
        return VisitFilter(
            site=data.get("site"),
            village=data.get("village") or "",
            kind=data.get("kind") or "",
            response=data.get("response") or "",
            far_from_site=True if data.get("far") else None,
            since=dt.datetime.combine(start, dt.time.min, tzinfo=tz) if start else None,
            # Through the whole last day.
            until=dt.datetime.combine(end, dt.time.max, tzinfo=tz) if end else None,
            q=(data.get("q") or "").strip(),
        )

    @property
    def filtered(self) -> bool:
        """Whether a filter was asked for, valid or not (the page offers to clear it)."""
        return any(self.data.get(name) for name in self.fields if name != "site")
