from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Comment, Release


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["title", "dateline", "body", "cover"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "class": "editor"})}


class CommentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    email = forms.EmailField(label=_("E-mail"))
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https"
    )
    body = forms.CharField(
        label=_("Comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Robots fill in what people cannot see.
    url_confirm = forms.CharField(required=False, label=_("Leave this empty"))


class ModerateForm(forms.Form):
    status = forms.ChoiceField(choices=Comment.Status.choices)
