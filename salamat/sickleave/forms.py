"""Forms of the doctor's workspace and the public verification: shapes and defaults only.

The rules stay in the services; a refusal comes back as a `DomainError` and
`attach_refusal` puts its message next to the field it concerns."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salamat.core.errors import DomainError
from salamat.sickleave.models import Outcome, Reason, Regime, Relation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DIGITS14 = {"inputmode": "numeric", "pattern": r"\d{14}", "maxlength": "14", "autocomplete": "off"}

# Which field a rule's refusal belongs next to (the rest are shown above the form).
REFUSAL_FIELDS = {
    "period_dates_invalid": "end",
    "period_too_long": "end",
    "pregnancy_leave_fixed_length": "end",
    "period_in_future": "start",
    "backdating_not_allowed": "ambulance_record_ref",
    "backdating_too_far": "start",
    "overlapping_periods": "start",
    "gap_between_periods": "start",
    "commission_required": "commission_chair",
    "not_commission_chair": "commission_chair",
    "disability_board_required": "end",
    "duplicate_open_certificate": "reason",
    "cared_for_person_required": "cared_for_pin",
    "care_limit_exceeded": "end",
    "return_date_mismatch": "outcome_date",
    "continuation_date_mismatch": "outcome_date",
    "outcome_date_out_of_range": "outcome_date",
}


def attach_refusal(form: forms.Form, exc: DomainError) -> None:
    """Puts the refusal's message next to its field (or on the form when no field fits)."""
    placed = False
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    for item in fields or []:
        name = item.get("field") if isinstance(item, dict) else None
        name = {"commission_chair_id": "commission_chair"}.get(name, name)
        if name in form.fields:
            # a hidden field's refusal is said at the top of the form (nobody sees the field)
            hidden = form.fields[name].widget.is_hidden
            form.add_error(None if hidden else name, item.get("message") or exc.message)
            placed = True
    if not placed:
        name = REFUSAL_FIELDS.get(exc.code)
        form.add_error(name if name in form.fields else None, exc.message)


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("Patient's PIN"), min_length=14, max_length=14, widget=forms.TextInput(DIGITS14)
    )


class OpenForm(forms.Form):
    patient_pin = forms.CharField(
        label=_("Patient's PIN"),
        min_length=14,
        max_length=14,
        widget=forms.TextInput({**DIGITS14, "autofocus": True}),
    )
    employer_tax_id = forms.CharField(
        label=_("Employer's tax ID"), min_length=14, max_length=14, widget=forms.TextInput(DIGITS14)
    )
    employer_name = forms.CharField(label=_("Employer"), max_length=255)
    is_main_job = forms.BooleanField(label=_("Main job (not part-time)"), required=False, initial=True)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices, initial=Reason.ILLNESS)
    cared_for_pin = forms.CharField(
        label=_("Cared-for person's PIN"), required=False, max_length=14, widget=forms.TextInput(DIGITS14)
    )
    cared_for_relation = forms.ChoiceField(
        label=_("Relation"), required=False, choices=[("", "—"), *Relation.choices]
    )
    diagnosis_code = forms.CharField(
        label=_("Diagnosis (ICD-10)"),
        max_length=8,
        widget=forms.TextInput(
            {
                "list": "icd-options",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "placeholder": "J06.9",
            }
        ),
    )
    regime = forms.ChoiceField(label=_("Regime"), choices=Regime.choices, initial=Regime.OUTPATIENT)
    hospital_from = forms.DateField(label=_("In hospital from"), required=False, widget=DATE)
    hospital_to = forms.DateField(label=_("In hospital until"), required=False, widget=DATE)
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To (inclusive)"), widget=DATE)
    ambulance_record_ref = forms.CharField(
        label=_("Ambulance/emergency record (to start before today)"), required=False, max_length=64
    )
    # Set when the certificate is opened from a visit in the patient record.
    record_encounter = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today
        self.fields["end"].initial = today + timedelta(days=max_days - 1)


class ExtendForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To (inclusive)"), widget=DATE)
    commission_chair = forms.ChoiceField(label=_("Medical commission chair"), required=False)
    ambulance_record_ref = forms.CharField(
        label=_("Ambulance/emergency record (to start before today)"), required=False, max_length=64
    )

    def __init__(self, *args, chairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commission_chair"].choices = [("", "—")] + [
            (str(u.external_id), u.full_name or u.username) for u in chairs
        ]


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(v, label) for v, label in Outcome.choices if v != Outcome.STILL_ILL],
        initial=Outcome.RETURN_TO_WORK,
    )
    outcome_date = forms.DateField(label=_("Return to work / outcome date"), widget=DATE)


class ContinueForm(forms.Form):
    prefix = "continue"  # shares the certificate page with the extension form
    end = forms.DateField(label=_("New certificate until"), widget=DATE)
    commission_chair = forms.ChoiceField(label=_("Medical commission chair"), required=False)

    def __init__(self, *args, chairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commission_chair"].choices = [("", "—")] + [
            (str(u.external_id), u.full_name or u.username) for u in chairs
        ]


class AnnulForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it annulled?"), min_length=5, max_length=500, widget=forms.Textarea({"rows": 2})
    )


class ApproveForm(forms.Form):
    commission_decision_number = forms.CharField(label=_("Decision no."), max_length=64)


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("Certificate number"),
        min_length=12,
        max_length=12,
        widget=forms.TextInput({"inputmode": "numeric", "pattern": r"\d{12}", "autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("Employee's PIN"), min_length=14, max_length=14, widget=forms.TextInput(DIGITS14)
    )
