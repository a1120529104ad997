from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salamat.registry.models import Region

PROBLEM_CHOICES = [
    ("counterfeit", _("I think it is counterfeit")),
    ("already_sold", _("The check says it was already sold")),
    ("damaged", _("The package is damaged or opened")),
    ("expired", _("It is expired or the date is wrong")),
    ("side_effects", _("Unexpected effect after taking it")),
    ("price", _("Something else about the sale")),
    ("other", _("Other")),
]
REGION_CHOICES = [("", _("Any region")), *Region.choices]


class ReportForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, required=False, max_length=512)
    problem = forms.ChoiceField(label=_("What is wrong?"), choices=PROBLEM_CHOICES, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    where_bought = forms.CharField(
        label=_("Where did you buy it? (pharmacy, address)"), required=False, max_length=300
    )
    region = forms.ChoiceField(label=_("Region"), choices=REGION_CHOICES, required=False)
    photo = forms.FileField(
        label=_("Photo of the package (optional, up to 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    phone = forms.CharField(
        label=_("Your phone, if we may call you (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


class WhereForm(forms.Form):
    q = forms.CharField(label=_("Medicine (trade name or INN)"), min_length=2, max_length=100)
    region = forms.ChoiceField(label=_("Region"), choices=REGION_CHOICES, required=False)
