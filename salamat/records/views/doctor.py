"""The doctor's pages: find the patient, record a visit, read the record (summary and timeline).

Thin: every read is decided and logged by `salamat.records.access` (identify to find the
patient, treatment to read the record); every write is one transaction Bundle through the
record's services. A refusal is shown next to the field it concerns, or as a 403 page saying why.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salamat.core.actors import Actor
from salamat.core.errors import DomainError
from salamat.records import codelists, pages_selectors, presenters, selectors, services
from salamat.records.access import Purpose, Reason, access_check, access_decide, may_record
from salamat.records.forms import (
    AllergyFormSet,
    DiagnosisFormSet,
    FindForm,
    PrescriptionFormSet,
    VaccinationFormSet,
    VisitForm,
)
from salamat.records.models import Patient
from salamat.records.views.common import clinician_required, refusal_text, refused
from salamat.records.visit import build_visit_bundle
from salamat.sickleave.fhir import ICD10

TREATMENT_TYPES = ["*"]


def _patient_or_404(external_id) -> Patient:
    patient = selectors.patient_get(external_id=str(external_id))
    if patient is None:
        raise Http404(_("No such patient."))
    return patient.replaced_by if patient.replaced_by_id else patient


# --- find -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinician_required
def find(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Find a patient by PIN (POSTed: the PIN stays out of URLs) or by name and birth date."""
    form = FindForm(request.POST or None)
    found: list[dict] = []
    searched = False
    if request.method == "POST" and form.is_valid():
        searched = True
        data = form.cleaned_data
        patients: list[Patient] = []
        if data.get("pin"):
            try:
                patients = [services.patient_for_pin(pin=data["pin"].strip(), expression="pin")]
            except DomainError as exc:
                form.add_error("pin", exc.message)
        else:
            patients = list(
                selectors.patients_by_name(
                    family=data["family"], given=data.get("given") or "", birth_date=data["birth_date"]
                )[:20]
            )
        for patient in patients:
            access_check(actor=actor, patient=patient, purpose=Purpose.IDENTIFY, interaction="search")
            treating = access_decide(actor=actor, patient=patient, purpose=Purpose.TREATMENT).allowed
            found.append({"patient": patient, "treating": treating})
    return render(
        request,
        "records/find.html",
        {"form": form, "found": found, "searched": searched, "may_record": may_record(actor)},
    )


# --- the record -----------------------------------------------------------------------------------


def _date_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
@clinician_required
def patient_record(request: HttpRequest, actor: Actor, external_id) -> HttpResponse:
    """The attending doctor's view: the summary at a glance, then the timeline of every clinic."""
    patient = _patient_or_404(external_id)
    try:
        access_check(
            actor=actor,
            patient=patient,
            purpose=Purpose.TREATMENT,
            interaction="view",
            resource_types=TREATMENT_TYPES,
        )
    except DomainError as exc:
        return refused(request, exc, patient=patient, may_record=may_record(actor))
    view = presenters.record_view(
        patient=patient, sick_leaves=selectors.sick_leaves_of_patient(patient=patient)
    )
    clinic = request.GET.get("clinic", "")
    chosen = presenters.TimelineFilter(
        klass=request.GET.get("type", "")
        if request.GET.get("type", "") in presenters.ENCOUNTER_CLASSES
        else "",
        clinic=int(clinic) if clinic.isdigit() else None,
        since=_date_param(request.GET.get("from", "")),
        until=_date_param(request.GET.get("to", "")),
    )
    visits = [v for v in view.visits if chosen.keep(v)]
    return render(
        request,
        "records/patient.html",
        {
            "patient": patient,
            "view": view,
            "visits": visits,
            "filter": chosen,
            "classes": list(presenters.ENCOUNTER_CLASSES.items()),
            "own_clinic": actor.organization.pk,
            "params": request.GET,
            "may_record": may_record(actor),
        },
    )


@require_POST
@clinician_required
def mark_entered_in_error(request: HttpRequest, actor: Actor, external_id, resource_id) -> HttpResponse:
    """Marks an item the doctor's clinic recorded as a mistake, with the reason (confirmed on the
    page); it leaves the summary and the timeline, and its earlier versions stay readable."""
    patient = _patient_or_404(external_id)
    row = selectors.resource_of_patient(patient=patient, external_id=resource_id)
    if row is None:
        raise Http404(_("No such item in this record."))
    reason = (request.POST.get("reason") or "").strip()
    back = reverse("records:patient", kwargs={"external_id": patient.external_id})
    if row.encounter_id:
        back += f"#visit-{row.encounter.external_id}"
    if not reason:
        messages.error(request, _("Say why the item is a mistake."))
        return redirect(back)
    try:
        services.resource_mark_entered_in_error(actor=actor, resource=row, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Marked as entered in error. Its earlier versions stay readable."))
    return redirect(back)


# --- record a visit ------------------------------------------------------------------------------


def _filled(formset, *required: str) -> list[tuple[int, dict]]:
    return [
        (i, form.cleaned_data)
        for i, form in enumerate(formset.forms)
        if form.cleaned_data and any(form.cleaned_data.get(name) for name in required)
    ]


def _formsets(data=None, vaccine_choices=()):
    return {
        "diagnoses": DiagnosisFormSet(data, prefix="dx"),
        "allergies": AllergyFormSet(data, prefix="al"),
        "prescriptions": PrescriptionFormSet(data, prefix="rx"),
        "vaccinations": VaccinationFormSet(
            data, prefix="vx", form_kwargs={"vaccine_choices": vaccine_choices}
        ),
    }


def _attach(exc: DomainError, targets, form: VisitForm, sets: dict) -> None:
    """Shows a refusal of the services next to the field its bundle entry came from."""
    details = exc.details if isinstance(exc.details, dict) else {}
    index = details.get("entry")
    expression = (details.get("expression") or [""])[0] or ""
    if index is None or index >= len(targets):
        form.add_error(None, exc.message)
        return
    target = targets[index]
    name = target.field_for(expression)
    if target.form == "visit":
        form.add_error(name if name in form.fields else None, exc.message)
        return
    prefix, _sep, position = target.form.rpartition("-")
    formset = next(s for s in sets.values() if s.prefix == prefix)
    row = formset.forms[int(position)]
    row.add_error(name if name in row.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@clinician_required
def visit_new(request: HttpRequest, actor: Actor, external_id) -> HttpResponse:
    """One screen for one visit; saved as one transaction through the record's services."""
    patient = _patient_or_404(external_id)
    if not may_record(actor):
        return render(
            request,
            "records/forbidden.html",
            {"message": refusal_text(Reason.NOT_RECORDING_STAFF), "reason": Reason.NOT_RECORDING_STAFF},
            status=403,
        )
    try:
        access_check(actor=actor, patient=patient, purpose=Purpose.IDENTIFY, interaction="visit-form")
    except DomainError as exc:
        return refused(request, exc, patient=patient)
    vaccine_choices = [
        (c.code, f"{c.code} — {codelists.concept_title(c)}") for c in pages_selectors.vaccines()
    ]
    if request.method == "POST":
        form = VisitForm(request.POST)
        sets = _formsets(request.POST, vaccine_choices)
        if form.is_valid() and all(s.is_valid() for s in sets.values()):
            prescriptions = _filled(sets["prescriptions"], "medication")
            products = {
                row["product"]: p
                for _i, row in prescriptions
                if (p := pages_selectors.product_by_registration(row.get("product") or "")) is not None
            }
            built = build_visit_bundle(
                patient=patient,
                doctor=actor.user,
                visit=form.cleaned_data,
                diagnoses=_filled(sets["diagnoses"], "code"),
                allergies=_filled(sets["allergies"], "substance"),
                prescriptions=prescriptions,
                vaccinations=_filled(sets["vaccinations"], "vaccine"),
                products=products,
            )
            try:
                with transaction.atomic():
                    ctx = services.write_context(actor=actor)
                    results = services.bundle_transaction(ctx=ctx, bundle=built.bundle)
            except DomainError as exc:
                _attach(exc, built.targets, form, sets)
            else:
                encounter = results[0].target
                messages.success(request, _("The visit is recorded."))
                return redirect(
                    reverse("records:patient", kwargs={"external_id": patient.external_id})
                    + f"?saved={encounter.external_id}#visit-{encounter.external_id}"
                )
    else:
        form = VisitForm(initial={"visit_key": uuid.uuid4()})
        sets = _formsets(None, vaccine_choices)
    return render(
        request,
        "records/visit.html",
        {
            "patient": patient,
            "form": form,
            **sets,
            "has_errors": bool(form.errors) or any(s.total_error_count() for s in sets.values()),
        },
    )


# --- suggestions (htmx) --------------------------------------------------------------------------


def _typed(request: HttpRequest, suffix: str) -> tuple[str, str]:
    """(field name, text) of the one input the suggestion was asked for."""
    for name, value in request.GET.items():
        if name.endswith(suffix):
            return name, value
    return "", ""


@require_GET
@clinician_required
def icd_suggest(request: HttpRequest, actor: Actor) -> HttpResponse:
    """ICD-10 codes matching the typed code, or titles in the page's language containing the text."""
    name, text = _typed(request, "-code")
    concepts = (
        codelists.concept_search(system_uri=ICD10, text=text, limit=8) if len(text.strip()) >= 1 else []
    )
    options = [{"value": c.code, "title": codelists.concept_title(c), "label": c.code} for c in concepts]
    return render(
        request, "records/_suggest.html", {"options": options, "field": name, "text": text, "kind": "icd"}
    )


@require_GET
@clinician_required
def drug_suggest(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Registered medicines (the drug registry's products) matching the typed name."""
    name, text = _typed(request, "-medication")
    options = [
        {
            "value": f"{p.trade_name} {p.strength}".strip(),
            "title": f"{p.inn} · {p.dosage_form}",
            "label": f"{p.trade_name} {p.strength}".strip(),
            "product": p.registration_number,
        }
        for p in pages_selectors.products_matching(text)
    ]
    return render(
        request, "records/_suggest.html", {"options": options, "field": name, "text": text, "kind": "drug"}
    )
