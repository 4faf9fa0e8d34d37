from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patroli.core.ids import uuid7
from patroli.regions.models import Region

from .models import Category, Concern
from .photos import PhotoError, add_photo, check_photo
from .services import submit_concern


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def grouped_categories():
    groups: dict[str, list] = {}
    for category in Category.objects.filter(active=True).order_by("group", "name"):
        groups.setdefault(category.group, []).append((category.pk, category.name))
    return [("", "---------"), *groups.items()]


def village_label(region: Region) -> str:
    """'Bumi Harapan, Sepaku, Kabupaten Penajam Paser Utara': tells alike names apart."""
    district = region.parent
    regency = district.parent if district else None
    return ", ".join(r.name for r in (region, district, regency) if r is not None)


def find_villages(text: str, limit: int = 10) -> list[Region]:
    return list(
        Region.objects.villages()
        .search(text.split(",")[0])
        .select_related("parent__parent")
        .order_by("search_name", "code")[:limit]
    )


class VillageField(forms.CharField):
    """A village typed by name (the page suggests as you type) or given by code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Village"))
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return None
        if (village := Region.objects.villages().filter(code=text).first()) is not None:
            return village
        matches = find_villages(text, limit=6)
        if len(matches) == 1:
            return matches[0]
        exact = [m for m in matches if village_label(m).casefold() == text.casefold()]
        if len(exact) == 1:
            return exact[0]
        if not matches:
            raise forms.ValidationError(_("No village has that name. Check the spelling."))
        raise forms.ValidationError(
            _("Several villages have that name; choose one from the list: %(names)s")
            % {"names": "; ".join(village_label(m) for m in matches[:5])}
        )


class ReportForm(forms.Form):
    """The public report form (/lapor/)."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    category = CategoryChoiceField(label=_("What is it about?"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=4000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, where exactly, since when. Up to 4,000 characters."),
    )
    village = VillageField(
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "list": "village-options", "data-village": "1"}
        ),
        help_text=_("Type the name of the village and choose it from the list."),
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, up to 10 MB. Its location data is removed."),
    )
    reporter_name = forms.CharField(label=_("Your name"), max_length=120, required=False)
    reporter_phone = forms.CharField(
        label=_("Phone or WhatsApp"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    reporter_email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("To be told of each step.")
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous: do not show my name"),
        required=False,
        help_text=_("The report is public, without your name."),
    )
    confidential = forms.BooleanField(
        label=_("Confidential: do not publish this report"),
        required=False,
        help_text=_("Only the police see it; you follow it with your code."),
    )
    # A field people never see: robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["category"].choices = grouped_categories()
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid7())

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                check_photo(photo)
            except PhotoError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return photo

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("The location is incomplete; take it again."))
        return data

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    @transaction.atomic
    def submit(self, *, source: str, created_by=None) -> tuple[Concern, bool]:
        """Store the valid form as a concern with its photo; a re-sent form finds the first."""
        data = self.cleaned_data
        concern, created = submit_concern(
            client_id=data["client_id"],
            source=source,
            category=data["category"],
            description=data["description"].strip(),
            village=data["village"],
            lat=data["lat"],
            lon=data["lon"],
            created_by=created_by,
            reporter_name=data["reporter_name"].strip(),
            reporter_phone=data["reporter_phone"].strip(),
            reporter_email=data["reporter_email"],
            anonymous=data["anonymous"],
            confidential=data["confidential"],
        )
        if created and data["photo"]:
            add_photo(concern=concern, upload=data["photo"])
        return concern, created


class StaffConcernForm(ReportForm):
    """A concern taken by phone or at the desk (source: staff)."""

    website = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].label = _("Reporter's name")
        self.fields["reporter_phone"].label = _("Reporter's phone")
        self.fields["reporter_email"].label = _("Reporter's e-mail")
        self.fields["anonymous"].label = _("Anonymous")
        self.fields["confidential"].label = _("Confidential")


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public = forms.BooleanField(
        label=_("Show this note to the reporter and the public"), required=False, initial=True
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of (tracking code)"), required=False, max_length=12
    )
    agency = forms.CharField(label=_("Referred to (agency)"), required=False, max_length=120)

    def __init__(self, *args, concern: Concern, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (s, Concern.Status(s).label) for s in concern.allowed_transitions()
        ]
        if concern.category.agency:
            self.fields["agency"].initial = concern.category.agency


class AssignForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    officer = forms.ModelChoiceField(label=_("Officer"), queryset=None, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, units, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["officer"].queryset = officers


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was it handled?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("Why is it not solved?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
