from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patroli.concerns.models import Category
from patroli.core.access import visible
from patroli.core.ids import uuid7
from patroli.core.photos import PhotoError, prepare_photo
from patroli.elections.models import Incident
from patroli.sites.models import Site

from .models import Appeal, Dialogue, Visit


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input; cleaned to a list (empty when none was chosen)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class VisitForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind of patrol"), choices=Visit.Kind.choices, initial=Visit.Kind.DIALOGIC
    )
    started_at = forms.DateTimeField(
        label=_("Started"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label=_("Ended"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    attendees = forms.IntegerField(
        label=_("Number of people present"),
        min_value=0,
        max_value=100000,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    topics = forms.CharField(
        label=_("Topics discussed"),
        required=False,
        help_text=_("One topic per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    appeals = forms.ModelMultipleChoiceField(
        label=_("Appeals given"),
        queryset=Appeal.objects.filter(active=True),
        to_field_name="code",  # the codes the API speaks, so the offline form can send them
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    response = forms.ChoiceField(
        label=_("Community response"),
        choices=Dialogue.Response.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    statement = forms.CharField(
        label=_("Statement to quote"),
        required=False,
        max_length=4000,
        help_text=_("What the leading officer said, word for word, for a news release."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, up to 10 MB each. Their location data is removed."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = visible(
            Site.objects.select_related("village"), user
        ).order_by("village__name", "kind", "tps_number", "name")
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid7())
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("started_at", now.strftime("%Y-%m-%dT%H:%M"))

    def clean(self):
        data = super().clean()
        started, ended = data.get("started_at"), data.get("ended_at")
        if started and ended and ended < started:
            self.add_error("ended_at", _("The end comes before the start."))
        if started and started > timezone.now() + timedelta(
            seconds=settings.PATROLI_SYNC_MAX_SKEW_S
        ):
            self.add_error("started_at", _("The start lies in the future."))
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon", _("Give latitude and longitude together."))
        return data

    def clean_photos(self):
        """The photos checked and encoded, ready to store: a bad one stops the whole form."""
        uploads = self.cleaned_data["photos"]
        limit = settings.PATROLI_VISIT_PHOTOS_MAX
        if len(uploads) > limit:
            raise forms.ValidationError(
                _("Too many photos: a visit takes at most %(limit)d.") % {"limit": limit}
            )
        photos, errors = [], []
        for upload in uploads:
            try:
                photos.append(prepare_photo(upload))
            except PhotoError as exc:
                errors.append(forms.ValidationError(f"{upload.name}: {exc.message}"))
        if errors:
            raise forms.ValidationError(errors)
        return photos

    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["topics"].splitlines() if t.strip()]


class ParticipantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    role = forms.CharField(label=_("Role"), max_length=120, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=160, required=False)


class ConcernForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(active=True), to_field_name="code"
    )
    description = forms.CharField(
        label=_("What was raised"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class IncidentForm(forms.Form):
    """A disturbance met during the visit; it happened at the start of the visit."""

    kind = forms.ChoiceField(label=_("Kind of incident"), choices=Incident.Kind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Incident.Severity.choices)
    description = forms.CharField(
        label=_("What happened"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=1, max_num=100)
# No empty row: an incident row is added on purpose (its kind has no blank choice).
IncidentFormSet = forms.formset_factory(IncidentForm, extra=0, max_num=50)
ConcernFormSet = forms.formset_factory(ConcernForm, extra=1, max_num=50)
