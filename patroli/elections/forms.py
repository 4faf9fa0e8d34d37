from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patroli.concerns.forms import VillageField
from patroli.core.access import visible
from patroli.core.ids import uuid7
from patroli.sites.models import Site

from .models import Incident


class IncidentForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=Incident.Kind.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Incident.Severity.choices, widget=forms.RadioSelect
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    village = VillageField(
        required=False,
        widget=forms.TextInput(attrs={"list": "village-options", "data-village": "1"}),
        help_text=_("When it did not happen at one of the sites."),
    )
    description = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = visible(Site.objects.select_related("village"), user)
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid7())
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("occurred_at", now.strftime("%Y-%m-%dT%H:%M"))

    def clean(self):
        data = super().clean()
        if not data.get("site") and not data.get("village") and not self.errors:
            raise forms.ValidationError(_("Choose the site or type the village."))
        when = data.get("occurred_at")
        if when and when > timezone.now() + timezone.timedelta(minutes=10):
            self.add_error("occurred_at", _("The time lies in the future."))
        return data
