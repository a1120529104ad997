"""Forms of the registry's public pages: they check the shape of a search; rules live in services."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from salamat.registry.models import OrganizationType, Region

# An ATC code or any beginning of one: J, J01, J01C, J01CA, J01CA04.
_ATC_PREFIX = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")


class ProductSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, INN, GTIN or registration number"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false", "enterkeyhint": "search"}
        ),
    )
    atc = forms.CharField(
        label=_("ATC code"),
        required=False,
        max_length=7,
        help_text=_("A code or its beginning, e.g. J01"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def clean_atc(self) -> str:
        value = self.cleaned_data["atc"].strip().upper().replace(" ", "")
        if value and not _ATC_PREFIX.match(value):
            raise forms.ValidationError(
                _("An ATC code looks like J01CA04: a letter, two digits, two letters, two digits.")
            )
        return value


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or tax ID"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}),
    )
    org_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *OrganizationType.choices]
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *Region.choices]
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())
