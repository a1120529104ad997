"""Forms of the record's pages: shapes and defaults only. The record's rules stay in its
services; a refusal comes back naming the bundle entry and the FHIR field, and `visit_bundle`
keeps the map from entries to form fields so the page shows it next to the right field."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salamat.records.presenters import ENCOUNTER_CLASSES

DIGITS14 = {"inputmode": "numeric", "pattern": r"\d{14}", "maxlength": "14", "autocomplete": "off"}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FindForm(forms.Form):
    """Find a patient: by PIN, or by family name (+ given name) and birth date."""

    pin = forms.CharField(
        label=_("PIN"), required=False, max_length=14, widget=forms.TextInput({**DIGITS14, "autofocus": True})
    )
    family = forms.CharField(label=_("Family name"), required=False, max_length=150)
    given = forms.CharField(label=_("Given name"), required=False, max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        pin = (data.get("pin") or "").strip()
        if pin:
            if len(pin) != 14 or not pin.isdigit():
                self.add_error("pin", _("A PIN has 14 digits."))
            return data
        if not data.get("family") or not data.get("birth_date"):
            raise forms.ValidationError(_("Give the PIN, or the family name and the birth date."))
        return data


class VisitForm(forms.Form):
    klass = forms.ChoiceField(label=_("Type"), choices=list(ENCOUNTER_CLASSES.items()), initial="AMB")
    start = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=_("Reason for visit"), max_length=500, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Vital signs (UCUM units in the labels).
    systolic = forms.IntegerField(label=_("BP systolic, mm Hg"), required=False, min_value=40, max_value=300)
    diastolic = forms.IntegerField(
        label=_("BP diastolic, mm Hg"), required=False, min_value=20, max_value=200
    )
    pulse = forms.IntegerField(label=_("Pulse, /min"), required=False, min_value=20, max_value=300)
    temperature = forms.DecimalField(
        label=_("Temperature, °C"), required=False, min_value=30, max_value=45, decimal_places=1
    )
    weight = forms.DecimalField(
        label=_("Weight, kg"), required=False, min_value=0.3, max_value=400, decimal_places=1
    )
    height = forms.DecimalField(
        label=_("Height, cm"), required=False, min_value=20, max_value=260, decimal_places=1
    )
    # One key per filled form: a second submission of the same form stores nothing twice.
    visit_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].initial = timezone.localtime().replace(second=0, microsecond=0)
        for name in ("systolic", "diastolic", "pulse", "temperature", "weight", "height"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def clean(self):
        data = super().clean()
        if bool(data.get("systolic")) != bool(data.get("diastolic")):
            self.add_error(
                "diastolic" if data.get("systolic") else "systolic", _("Give both blood pressure values.")
            )
        return data


class DiagnosisForm(forms.Form):
    code = forms.CharField(label=_("Diagnosis (ICD-10)"), required=False, max_length=16)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("active", _("active")), ("resolved", _("resolved"))],
        initial="active",
        required=False,
    )


class AllergyForm(forms.Form):
    substance = forms.CharField(label=_("Allergy or intolerance to"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[
            ("medication", _("medication")),
            ("food", _("food")),
            ("environment", _("environment")),
            ("biologic", _("biologic")),
        ],
    )
    criticality = forms.ChoiceField(
        label=_("Risk"),
        required=False,
        choices=[("high", _("high risk")), ("low", _("low risk")), ("unable-to-assess", _("risk unknown"))],
    )
    reaction = forms.CharField(label=_("Reaction"), required=False, max_length=200)


class PrescriptionForm(forms.Form):
    medication = forms.CharField(label=_("Medicine"), required=False, max_length=255)
    product = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)  # registration number
    dosage = forms.CharField(label=_("Dosage"), required=False, max_length=255)

    def clean(self):
        data = super().clean()
        if data.get("medication") and not data.get("dosage"):
            self.add_error("dosage", _("Say how to take it."))
        return data


class VaccinationForm(forms.Form):
    vaccine = forms.ChoiceField(label=_("Vaccine"), required=False)
    lot = forms.CharField(label=_("Lot"), required=False, max_length=64)
    dose = forms.IntegerField(label=_("Dose number"), required=False, min_value=1, max_value=20)

    def __init__(self, *args, vaccine_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vaccine"].choices = [("", "—"), *vaccine_choices]

    def clean(self):
        data = super().clean()
        if data.get("vaccine") and not data.get("lot"):
            self.add_error("lot", _("Give the lot number from the package."))
        return data


DiagnosisFormSet = formset_factory(DiagnosisForm, extra=3, max_num=20)
AllergyFormSet = formset_factory(AllergyForm, extra=2, max_num=20)
PrescriptionFormSet = formset_factory(PrescriptionForm, extra=3, max_num=20)
VaccinationFormSet = formset_factory(VaccinationForm, extra=1, max_num=10)
