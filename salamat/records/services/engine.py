"""The shared machinery of every write: check a submitted FHIR resource (structure with the FHIR
library, then the platform's rules), resolve its references, and work out the columns the
record searches on. Nothing here writes; `write.py` stores what `prepare` returns.

Structure is checked with `fhir.resources`' R4B models: R4B is R4 with corrections, and the
resources the record holds are the same in both (fhir.resources has no plain R4 package).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticValidationError

from salamat.accounts.models import User
from salamat.accounts.selectors import membership_active, user_by_external_id, user_with_pin
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.records.access import CLINICAL_ROLES
from salamat.records.errors import refuse
from salamat.records.models import Document, Patient, Resource, ResourceType, Sex
from salamat.records.services.batch import Batch
from salamat.records.services.patients import SID_TEMPORARY, patient_for_pin
from salamat.records.services.profiles import PATIENT_FIELD, PROFILES, json_get, parse_fhir_datetime
from salamat.registry.models import Organization
from salamat.sickleave.fhir import SID_PIN

CLINICAL_TYPES = frozenset(ResourceType.values)
# Types read through the API but not written as clinical resources.
READ_ONLY_TYPES = frozenset({"Patient", "Practitioner", "Binary", "Composition"})

# Extensions on meta saying which clinic and which practitioner recorded a resource.
SD_RECORDED_BY_ORGANIZATION = "https://salamat.example/fhir/StructureDefinition/recorded-by-organization"
SD_RECORDED_BY_PRACTITIONER = "https://salamat.example/fhir/StructureDefinition/recorded-by-practitioner"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# Encounter classes the record holds: outpatient visit, hospital stay, emergency, home visit.
ENCOUNTER_CLASSES = frozenset({"AMB", "IMP", "EMER", "HH"})
PDF_MAGIC = b"%PDF-"
_LOINC = re.compile(r"^\d{1,7}-\d$")
_FUTURE_SKEW = timedelta(minutes=5)
_ENTERED_IN_ERROR = "entered-in-error"


@dataclass
class WriteContext:
    """One write request: who writes, and what earlier entries of a bundle stand for."""

    actor: Actor
    organization: Organization
    now: datetime = field(default_factory=timezone.now)
    # fullUrl (urn:uuid:...) of a bundle entry -> the canonical reference "Type/id" it became
    urls: dict[str, str] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)  # "Patient/id" -> row
    resources: dict[str, Resource] = field(default_factory=dict)  # "Type/id" -> row
    practitioners: dict[str, User] = field(default_factory=dict)  # "Practitioner/id" -> user
    # fullUrls of bundle entries not processed yet: a reference to one defers the entry
    pending: set[str] = field(default_factory=set)
    # a transaction bundle's new resources, inserted together (None: insert at once)
    batch: Batch | None = None
    # the document files this write stored: deleted if its transaction rolls back
    files: list[tuple[Any, str]] = field(default_factory=list)  # (storage, name)


class PendingReference(Exception):
    """A reference to a bundle entry not stored yet: the transaction processes this entry later."""


@dataclass
class PendingDocument:
    document_id: uuid.UUID
    data: bytes
    sha256: str


@dataclass
class Prepared:
    """A checked resource, ready to store."""

    resource_type: str
    body: dict[str, Any]
    patient: Patient
    status: str
    category: str
    code_system: str
    code: str
    effective: datetime
    encounter: Resource | None
    identifier_system: str
    identifier_value: str
    recorded_by: User | None
    documents: list[PendingDocument] = field(default_factory=list)


# --- structure ------------------------------------------------------------------------------


def fhir_path(loc: tuple | list) -> str:
    """('code', 'coding', 0, 'code') -> 'code.coding[0].code'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def check_type(resource_type: Any, *, writable: bool = True, expression: str = "resourceType") -> str:
    """The resource type if the record holds it, else `not_supported` (FHIR `not-supported`)."""
    if not isinstance(resource_type, str) or not resource_type:
        raise refuse(
            "resource_type_required",
            _("The resource has no resourceType."),
            expression=expression,
            status=400,
            issue="required",
        )
    if resource_type in CLINICAL_TYPES or (not writable and resource_type in READ_ONLY_TYPES):
        return resource_type
    raise refuse(
        "not_supported",
        _("The record does not hold %(type)s resources.") % {"type": resource_type},
        expression=expression,
        status=422 if writable else 404,
        issue="not-supported",
        resource_type=resource_type,
    )


def check_structure(data: dict[str, Any]) -> None:
    """Validates `data` against the FHIR R4(B) model of its type; refuses naming the first bad field."""
    try:
        get_fhir_model_class(data["resourceType"]).model_validate(data)
    except PydanticValidationError as exc:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        raise refuse(
            "invalid_resource",
            _("The resource is not valid FHIR R4: %(problem)s") % {"problem": first.get("msg", "")},
            expression=fhir_path(first.get("loc", ())) or None,
            status=422,
            issue="structure",
            problems=[
                {"expression": fhir_path(e.get("loc", ())), "message": e.get("msg", "")} for e in errors[:20]
            ],
        ) from None
    except (ValueError, TypeError) as exc:  # fhir.resources raises these for some primitive values
        raise refuse(
            "invalid_resource",
            _("The resource is not valid FHIR R4: %(problem)s") % {"problem": str(exc)[:300]},
            issue="structure",
        ) from None


def warm_up() -> set[str]:
    """Builds the FHIR library's models for every kind of resource the record holds, by checking
    a fictional history (the library builds a model and its parts on first use: seconds). Run
    at a server worker's start (gunicorn.conf.py), so no clinic's first submission waits."""
    import random

    from salamat.records.synthetic import Clinic, history

    clinic = Clinic(0, str(uuid.UUID(int=1)), "Warm-up clinic", f"Practitioner/{uuid.UUID(int=2)}")
    rng = random.Random(1)
    checked = set()
    for _round in range(5):  # enough visits for every kind (allergies and vaccinations are rarer)
        items = history(rng, patient_id=str(uuid.UUID(int=3)), clinics=[clinic], now=timezone.now(), visits=9)
        for item in items:
            check_structure(copy_json(item.body))
            checked.add(item.body["resourceType"])
    subject = {"reference": f"Patient/{uuid.UUID(int=3)}"}
    concept = {"coding": [{"system": "http://example.org", "code": "x"}], "text": "x"}
    others = [
        {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": "00000000000000"}]},
        {"resourceType": "AllergyIntolerance", "patient": subject, "code": concept, "recordedDate": "2024-01-01"},
        {"resourceType": "MedicationStatement", "status": "active", "subject": subject,
         "medicationCodeableConcept": concept, "effectiveDateTime": "2024-01-01"},
        {"resourceType": "Procedure", "status": "completed", "subject": subject, "code": concept,
         "performedDateTime": "2024-01-01"},
        {"resourceType": "DocumentReference", "status": "current", "subject": subject, "type": concept,
         "content": [{"attachment": {"contentType": "application/pdf", "url": f"Binary/{uuid.UUID(int=4)}"}}]},
    ]  # fmt: skip
    for body in others:
        check_structure(body)
        checked.add(body["resourceType"])
    return checked


# --- references -----------------------------------------------------------------------------


def _split_identifier(query: str) -> tuple[str, str] | None:
    """'identifier=system|value' -> (system, value)."""
    if not query.startswith("identifier="):
        return None
    token = query[len("identifier=") :]
    if "|" not in token:
        return "", token
    system, _sep, value = token.partition("|")
    return system, value


def patient_for_identifier(*, system: str, value: str, expression: str) -> Patient:
    """The patient a PIN or temporary identifier names (a PIN is checked with the registry)."""
    if system == SID_PIN:
        return patient_for_pin(pin=value, expression=expression)
    if system == SID_TEMPORARY:
        patient = Patient.objects.filter(temporary_id=value).first()
        if patient is None:
            raise refuse(
                "unknown_patient",
                _("No patient has this temporary identifier."),
                expression=expression,
                issue="not-found",
            )
        return patient
    raise refuse(
        "patient_identifier_system",
        _("A patient is identified by a PIN (%(pin)s) or a temporary identifier (%(temp)s).")
        % {"pin": SID_PIN, "temp": SID_TEMPORARY},
        expression=expression,
        issue="invalid",
    )


def practitioner_of_clinic(*, user: User | None, organization: Organization, expression: str) -> User:
    """`user` if they are an active clinical member of `organization`, else `unknown_practitioner`."""
    if user is None or membership_active(user=user, organization=organization, roles=CLINICAL_ROLES) is None:
        raise refuse(
            "unknown_practitioner",
            _("The practitioner is not a known doctor of the submitting clinic."),
            expression=expression,
            issue="not-found",
        )
    return user


def _resolve_reference(ctx: WriteContext, ref: str, expression: str) -> str:
    """The canonical 'Type/id' for one reference of a submitted resource (checked to exist)."""
    if ref.startswith("#"):
        return ref
    if ref in ctx.urls:
        return ctx.urls[ref]
    if ref in ctx.pending:
        raise PendingReference(ref)
    if ref.startswith("urn:uuid:"):
        raise refuse(
            "unknown_reference",
            _("This reference names no entry of the bundle."),
            expression=expression,
            issue="not-found",
        )
    type_name, sep, rest = ref.partition("?")
    if sep:
        ident = _split_identifier(rest)
        if ident is None or type_name not in ("Patient", "Practitioner"):
            raise refuse(
                "conditional_reference_not_supported",
                _(
                    "Only Patient?identifier=… and Practitioner?identifier=… conditional references are supported."
                ),
                expression=expression,
                issue="not-supported",
            )
        if type_name == "Patient":
            patient = patient_for_identifier(system=ident[0], value=ident[1], expression=expression)
            canonical = f"Patient/{patient.external_id}"
            ctx.patients[canonical] = patient
            return canonical
        if ident[0] != SID_PIN:
            raise refuse(
                "practitioner_identifier_system",
                _("A practitioner is identified by their PIN."),
                expression=expression,
                issue="invalid",
            )
        user = user_with_pin(ident[1])
        user = practitioner_of_clinic(user=user, organization=ctx.organization, expression=expression)
        canonical = f"Practitioner/{user.external_id}"
        ctx.practitioners[canonical] = user
        return canonical
    type_name, _slash, ident_part = ref.partition("/")
    ref_id = _uuid_or_none(ident_part)
    if type_name == "Patient":
        if ref in ctx.patients:
            return ref
        patient = Patient.objects.filter(external_id=ref_id).first() if ref_id else None
        if patient is None:
            raise refuse(
                "unknown_patient", _("No patient with this id."), expression=expression, issue="not-found"
            )
        canonical = f"Patient/{patient.external_id}"
        ctx.patients[canonical] = patient
        return canonical
    if type_name == "Practitioner":
        if ref in ctx.practitioners:
            return ref
        user = user_by_external_id(ref_id) if ref_id else None
        user = practitioner_of_clinic(user=user, organization=ctx.organization, expression=expression)
        canonical = f"Practitioner/{user.external_id}"
        ctx.practitioners[canonical] = user
        return canonical
    if type_name in CLINICAL_TYPES:
        if ref in ctx.resources:
            return ref
        row = Resource.objects.filter(external_id=ref_id, resource_type=type_name).first() if ref_id else None
        if row is None:
            raise refuse(
                "unknown_reference",
                _("The referenced %(type)s does not exist.") % {"type": type_name},
                expression=expression,
                issue="not-found",
            )
        canonical = f"{type_name}/{row.external_id}"
        ctx.resources[canonical] = row
        return canonical
    return ref  # Organization, Medication...: kept as given, the record does not hold them


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError):
        return None


def references_in(node: Any) -> list[tuple[dict[str, Any], str]]:
    """Every `reference` string in a resource (outside `contained`), in document order, as
    (the object holding it, its path): one walk, the paths formatted only for references."""
    found: list[tuple[dict[str, Any], str]] = []
    trail: list[str | int] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "contained":
                    continue  # contained resources reference each other with '#'
                if key == "reference" and isinstance(value, str):
                    found.append((item, fhir_path(trail)))
                elif isinstance(value, dict | list):
                    trail.append(key)
                    walk(value)
                    trail.pop()
        elif isinstance(item, list):
            for i, value in enumerate(item):
                if isinstance(value, dict | list):
                    trail.append(i)
                    walk(value)
                    trail.pop()

    walk(node)
    return found


def resolve_references(
    ctx: WriteContext, node: Any, found: list[tuple[dict[str, Any], str]] | None = None
) -> list[tuple[str, str]]:
    """Rewrites every `reference` in `node` (in place) to its canonical form; returns (path, ref).
    `found`: `references_in(node)` if the caller walked the resource already."""
    out: list[tuple[str, str]] = []
    for holder, path in references_in(node) if found is None else found:
        expression = f"{path}.reference" if path else "reference"
        canonical = _resolve_reference(ctx, holder["reference"], expression)
        holder["reference"] = canonical
        out.append((path, canonical))
    return out


def copy_json(node: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists and scalars), faster than `copy.deepcopy`."""
    if isinstance(node, dict):
        return {k: copy_json(v) if isinstance(v, dict | list) else v for k, v in node.items()}
    if isinstance(node, list):
        return [copy_json(v) if isinstance(v, dict | list) else v for v in node]
    return node


def _documents(
    ctx: WriteContext, body: dict[str, Any], patient: Patient, existing: Resource | None
) -> list[PendingDocument]:
    """Decodes and checks each PDF attachment; the body keeps a `Binary/{id}` url instead of data."""
    content = body.get("content") or []
    pending: list[PendingDocument] = []
    limit = setting("RECORD_MAX_DOCUMENT_BYTES")
    for i, item in enumerate(content):
        attachment = item.get("attachment") or {}
        expression = f"content[{i}].attachment"
        if attachment.get("data"):
            try:
                data = base64.b64decode(attachment["data"], validate=True)
            except (binascii.Error, ValueError):
                raise refuse(
                    "attachment_not_base64",
                    _("The attachment's data is not base64."),
                    expression=f"{expression}.data",
                    issue="invalid",
                ) from None
            if len(data) > limit:
                raise refuse(
                    "document_too_large",
                    _("A document may be at most %(limit)d bytes.") % {"limit": limit},
                    expression=f"{expression}.data",
                    issue="too-long",
                    limit=limit,
                )
            if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-1024:]:
                raise refuse(
                    "document_not_pdf",
                    _("Only PDF documents are accepted (checked by content)."),
                    expression=f"{expression}.data",
                    issue="invalid",
                )
            if attachment.get("contentType", "application/pdf") != "application/pdf":
                raise refuse(
                    "document_not_pdf",
                    _("Only PDF documents are accepted (checked by content)."),
                    expression=f"{expression}.contentType",
                    issue="invalid",
                )
            doc_id = uuid.uuid4()
            sha256 = hashlib.sha256(data).hexdigest()
            pending.append(PendingDocument(doc_id, data, sha256))
            attachment.pop("data")
            attachment["contentType"] = "application/pdf"
            attachment["url"] = f"Binary/{doc_id}"
            attachment["size"] = len(data)
            attachment["hash"] = base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324 - FHIR's hash is SHA-1
            item["attachment"] = attachment
        elif attachment.get("url"):
            doc_id = _uuid_or_none(str(attachment["url"]).removeprefix("Binary/"))
            if doc_id is None or not Document.objects.filter(external_id=doc_id, patient=patient).exists():
                raise refuse(
                    "attachment_url_not_supported",
                    _("An attachment carries its PDF as data (or the Binary url the record gave it)."),
                    expression=f"{expression}.url",
                    issue="not-supported",
                )
        else:
            raise refuse(
                "attachment_data_required",
                _("The attachment carries the PDF as base64 data."),
                expression=f"{expression}.data",
                issue="required",
            )
    return pending


def prepare(
    ctx: WriteContext,
    data: dict[str, Any],
    *,
    resource_id: uuid.UUID,
    existing: Resource | None = None,
    references: list[tuple[dict[str, Any], str]] | None = None,
) -> Prepared:
    """Checks one submitted resource and returns what to store (raises a refusal naming the field).
    `data` is the caller's own copy (references are rewritten in it); `references`:
    `references_in(data)`, if the caller walked it already."""
    resource_type = check_type(data.get("resourceType"))
    check_structure(data)
    body = dict(data)
    body.pop("meta", None)
    body["id"] = str(resource_id)
    if references is not None:
        references = [(body if holder is data else holder, path) for holder, path in references]
    refs = resolve_references(ctx, body, references)
    patient_field = PATIENT_FIELD.get(resource_type, "subject")
    subject = body.get(patient_field) or {}
    patient_ref = subject.get("reference")
    if not patient_ref and isinstance(subject.get("identifier"), dict):
        ident = subject["identifier"]
        patient = patient_for_identifier(
            system=ident.get("system", ""),
            value=ident.get("value", ""),
            expression=f"{patient_field}.identifier",
        )
        patient_ref = f"Patient/{patient.external_id}"
        ctx.patients[patient_ref] = patient
        body[patient_field] = {"reference": patient_ref}
    if not patient_ref or not patient_ref.startswith("Patient/"):
        raise refuse(
            "patient_required",
            _("The resource names its patient (%(field)s).") % {"field": patient_field},
            expression=patient_field,
            issue="required",
        )
    patient = ctx.patients[patient_ref]
    if patient.replaced_by_id:
        patient = Patient.objects.get(pk=patient.replaced_by_id)
        body[patient_field] = {"reference": f"Patient/{patient.external_id}"}
    if existing is not None and existing.patient_id != patient.pk:
        raise refuse(
            "patient_change_refused",
            _("An update cannot move a resource to another patient."),
            expression=patient_field,
            status=409,
            issue="conflict",
        )

    columns = PROFILES[resource_type](body)
    effective = columns.effective or (existing.effective if existing else ctx.now)
    if effective > ctx.now + _FUTURE_SKEW:
        raise refuse(
            "date_in_future",
            _("The date is in the future."),
            expression=columns.effective_path or None,
            issue="business-rule",
        )
    if (
        resource_type == ResourceType.ENCOUNTER
        and existing is None
        and patient.death_date
        and effective.date() > patient.death_date
    ):
        raise refuse(
            "patient_deceased",
            _("The population registry records this person's death before this visit."),
            expression=patient_field,
            status=422,
            issue="business-rule",
        )

    encounter = None
    encounter_ref = (
        json_get(body, "encounter", "reference") if resource_type != ResourceType.ENCOUNTER else None
    )
    if encounter_ref:
        if not encounter_ref.startswith("Encounter/"):
            raise refuse(
                "unknown_reference",
                _("The encounter reference must name an Encounter."),
                expression="encounter",
                issue="invalid",
            )
        encounter = ctx.resources.get(encounter_ref) or Resource.objects.get(
            external_id=encounter_ref.partition("/")[2]
        )
        if encounter.pk is None and ctx.batch is not None:
            ctx.batch.flush()  # the encounter waits in this bundle's batch: insert it first
    for path, ref in refs:
        row = ctx.resources.get(ref)
        if row is not None and row.patient_id not in (patient.pk, patient.replaced_by_id):
            raise refuse(
                "reference_other_patient",
                _("The referenced resource belongs to another patient."),
                expression=path or None,
                issue="business-rule",
            )

    recorded_by = next((ctx.practitioners[ref] for _path, ref in refs if ref in ctx.practitioners), None)
    recorded_by = recorded_by or ctx.actor.user

    identifier_system = identifier_value = ""
    first_identifier = json_get(body, "identifier", 0) if isinstance(body.get("identifier"), list) else None
    if first_identifier and first_identifier.get("value"):
        identifier_system = str(first_identifier.get("system", ""))[:255]
        identifier_value = str(first_identifier["value"])[:128]

    documents = _documents(ctx, body, patient, existing) if resource_type == ResourceType.DOCUMENT else []
    if resource_type == ResourceType.ENCOUNTER:
        body["serviceProvider"] = {
            "reference": f"Organization/{ctx.organization.external_id}",
            "display": ctx.organization.name,
        }
    return Prepared(
        resource_type=resource_type,
        body=body,
        patient=patient,
        status=str(columns.status)[:32],
        category=str(columns.category)[:64],
        code_system=columns.code_system[:255],
        code=columns.code[:64],
        effective=effective,
        encounter=encounter,
        identifier_system=identifier_system,
        identifier_value=identifier_value,
        recorded_by=recorded_by,
        documents=documents,
    )


def find_by_identifier(
    *, organization: Organization, resource_type: str, system: str, value: str, batch: Batch | None = None
) -> Resource | None:
    """The clinic's resource of this type with this business identifier, if any."""
    if not value:
        return None
    if batch is not None:
        answered, row = batch.lookup((resource_type, system, value))
        if answered:
            return row
    # The explicit `identifier_value <> ''` lets the planner use the partial unique index.
    qs = Resource.objects.filter(
        organization=organization,
        resource_type=resource_type,
        identifier_system=system,
        identifier_value=value,
    ).exclude(identifier_value="")
    return next(iter(qs[:1]), None)


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two resources say the same thing (ignoring id, meta and the Binary urls the
    record gives attachments)."""
    return _comparable(a) == _comparable(b)


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in ("id", "meta")}
    if isinstance(out.get("content"), list):
        out["content"] = [
            {**item, "attachment": {k: v for k, v in (item.get("attachment") or {}).items() if k != "url"}}
            for item in out["content"]
            if isinstance(item, dict)
        ]
    return out


def temporary_patient_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What a submitted Patient without a PIN says about the person (name, birth date, sex)."""
    name = json_get(data, "name", 0) or {}
    gender = data.get("gender") or Sex.UNKNOWN
    born = parse_fhir_datetime(data.get("birthDate"))
    return {
        "family_name": str(name.get("family", "")),
        "given_name": " ".join(name.get("given") or []),
        "birth_date": born.date() if born else None,
        "sex": gender if gender in Sex.values else Sex.UNKNOWN,
    }
