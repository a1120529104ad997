"""Plain HTML forms of the onboarding pages (validation of shape only; rules live in services)."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salamat.onboarding.models import Application, DocumentKind
from salamat.onboarding.services import EDITABLE_FIELDS
from salamat.onboarding.services.application import REQUIRED_FIELDS


class StartForm(forms.Form):
    tax_id = forms.CharField(label=_("Tax ID of the organisation"), max_length=14, min_length=14)


class ApplicationForm(forms.ModelForm):
    """A draft may be saved half-filled, so no field is required here; the fields needed to
    submit (`REQUIRED_FIELDS`) are marked, and submitting names any left empty."""

    class Meta:
        model = Application
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "licence_issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "licence_valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "licensed_activities": forms.Textarea(attrs={"rows": 3}),
            "head_physician_pin": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 14}),
            "contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in REQUIRED_FIELDS:
            if name in self.fields:
                field = self.fields[name]
                field.label = format_html(
                    '{} <span class="required-mark" aria-hidden="true">*</span>', field.label
                )
                field.widget.attrs["aria-required"] = "true"


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, at most 10 MB)"),
        allow_empty_file=True,  # the service refuses empty files with its own code
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


class OfferAcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(label=_("I have read the public offer and accept its terms"))
    signature = forms.CharField(
        label=_("Signature (base64)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    certificate_pem = forms.CharField(
        label=_("Your certificate (PEM)"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class StaffInviteForm(forms.Form):
    pin = forms.CharField(label=_("PIN"), max_length=14, min_length=14)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            ("doctor", _("Doctor")),
            ("nurse", _("Nurse")),
            ("commission_chair", _("Medical commission chair")),
        ],
    )
