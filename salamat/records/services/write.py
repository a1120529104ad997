"""Creating and updating clinical resources: every change is a new version, nothing is deleted.

A mistake is corrected by an update whose status is `entered-in-error`
(`resource_mark_entered_in_error` does it for the pages); earlier versions stay readable.
A create carrying a business identifier the clinic already used answers the stored resource
when the content is the same (a retry), and refuses `duplicate_identifier` when it differs.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.records.access import write_check
from salamat.records.errors import refuse
from salamat.records.models import Document, Patient, Resource, ResourceType, ResourceVersion
from salamat.records.services.engine import (
    PATIENT_FIELD,
    SD_RECORDED_BY_ORGANIZATION,
    SD_RECORDED_BY_PRACTITIONER,
    Prepared,
    WriteContext,
    check_type,
    copy_json,
    find_by_identifier,
    prepare,
    same_content,
)

_EIE = "entered-in-error"
EIE_SYSTEMS = {
    ResourceType.CONDITION: "http://terminology.hl7.org/CodeSystem/condition-ver-status",
    ResourceType.ALLERGY: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
}


@dataclass(frozen=True)
class WriteResult:
    resource: Resource
    created: bool  # False: an earlier identical submission (or If-None-Exist match) answered


def write_context(*, actor: Actor) -> WriteContext:
    """The context of one write request; refuses anyone but a medical organisation's doctors."""
    write_check(actor)
    return WriteContext(actor=actor, organization=actor.require_organization())


def _meta(ctx: WriteContext, version: int, when, recorded_by) -> dict[str, Any]:
    extensions = [
        {
            "url": SD_RECORDED_BY_ORGANIZATION,
            "valueReference": {
                "reference": f"Organization/{ctx.organization.external_id}",
                "display": ctx.organization.name,
            },
        }
    ]
    if recorded_by is not None:
        extensions.append(
            {
                "url": SD_RECORDED_BY_PRACTITIONER,
                "valueReference": {
                    "reference": f"Practitioner/{recorded_by.external_id}",
                    "display": recorded_by.full_name or recorded_by.username,
                },
            }
        )
    return {"versionId": str(version), "lastUpdated": when.isoformat(), "extension": extensions}


def _version(
    ctx: WriteContext, resource: Resource, prepared: Prepared, version: int, now, body
) -> ResourceVersion:
    return ResourceVersion(
        resource=resource,
        version_id=version,
        status=prepared.status,
        organization=ctx.organization,
        recorded_by=prepared.recorded_by,
        api_client=ctx.actor.api_client,
        last_updated=now,
        body=body,
    )


def _store(
    ctx: WriteContext, prepared: Prepared, *, resource_id: uuid.UUID, existing: Resource | None
) -> Resource:
    now = timezone.now()
    version = 1 if existing is None else existing.version_id + 1
    body = prepared.body
    body["meta"] = _meta(ctx, version, now, prepared.recorded_by)
    for pending in prepared.documents:
        document = Document(
            external_id=pending.document_id,
            patient=prepared.patient,
            organization=ctx.organization,
            content_type="application/pdf",
            size=len(pending.data),
            sha256=pending.sha256,
        )
        # The file is written before the row (a committed row always has its file); if the
        # transaction then rolls back, `files_removed_on_failure` deletes it again.
        document.file.save(f"{pending.document_id}.pdf", ContentFile(pending.data), save=False)
        ctx.files.append((document.file.storage, document.file.name))
        document.save()
    fields = {
        "patient": prepared.patient,
        "recorded_by": prepared.recorded_by,
        "api_client": ctx.actor.api_client,
        "status": prepared.status,
        "category": prepared.category,
        "code_system": prepared.code_system,
        "code": prepared.code,
        "effective": prepared.effective,
        "encounter": prepared.encounter,
        "identifier_system": prepared.identifier_system,
        "identifier_value": prepared.identifier_value,
        "version_id": version,
        "last_updated": now,
        "body": body,
    }
    if existing is None:
        resource = Resource(
            external_id=resource_id,
            resource_type=prepared.resource_type,
            organization=ctx.organization,
            **fields,
        )
        if ctx.batch is not None:
            # A bundle: inserted with the others (`Batch.flush`), audited in the bundle's row.
            resource.created_at = now
            ctx.batch.add(resource, _version(ctx, resource, prepared, version, now, body))
            ctx.resources[resource.reference] = resource
            return resource
        resource.save()
    else:
        resource = existing
        for name, value in fields.items():
            setattr(resource, name, value)
        resource.save()
    _version(ctx, resource, prepared, version, now, body).save()
    audit_record(
        actor=ctx.actor,
        action="record.resource_create" if existing is None else "record.resource_update",
        object_type=f"fhir.{prepared.resource_type}",
        object_id=str(resource.external_id),
        changes={"version": version, "status": prepared.status},
    )
    ctx.resources[resource.reference] = resource
    return resource


def _identifier_query(value: str) -> tuple[str, str]:
    """'identifier=system|value' (the one conditional-create search the record supports)."""
    text = (value or "").strip()
    if not text.startswith("identifier=") or "|" not in text:
        raise refuse(
            "conditional_not_supported",
            _("If-None-Exist supports identifier=system|value only."),
            status=400,
            issue="not-supported",
            expression=None,
        )
    system, _sep, ident = text[len("identifier=") :].partition("|")
    return system, ident


@contextmanager
def files_removed_on_failure(ctx: WriteContext) -> Iterator[None]:
    """Around a write's transaction (outside it): when the block fails — a refusal, or the
    database refusing the commit — the document files the write stored are deleted again, so a
    rolled-back write leaves no orphan file."""
    try:
        yield
    except BaseException:
        for storage, name in ctx.files:
            storage.delete(name)
        ctx.files.clear()
        raise


def resource_create(*, ctx: WriteContext, data: dict[str, Any], if_none_exist: str = "") -> WriteResult:
    """Creates a resource (or answers the stored one for a retry or an If-None-Exist match)."""
    with files_removed_on_failure(ctx), transaction.atomic():
        return create_in_transaction(ctx=ctx, data=data, if_none_exist=if_none_exist)


def create_in_transaction(
    *,
    ctx: WriteContext,
    data: dict[str, Any],
    if_none_exist: str = "",
    references: list[tuple[dict[str, Any], str]] | None = None,
) -> WriteResult:
    """`resource_create` without a savepoint of its own, for the transaction bundle (which rolls
    back as a whole anyway; two savepoint round trips per resource were a third of its
    statements). Call it only inside an atomic block whose refusal you do not survive.
    `references`: `references_in(data)`, and `data` then is the caller's own copy to rewrite."""
    resource_type = check_type(data.get("resourceType") if isinstance(data, dict) else None)
    if if_none_exist:
        system, value = _identifier_query(if_none_exist)
        found = find_by_identifier(
            organization=ctx.organization,
            resource_type=resource_type,
            system=system,
            value=value,
            batch=ctx.batch,
        )
        if found is not None:
            ctx.resources[found.reference] = found
            return WriteResult(found, False)
    resource_id = uuid.uuid4()
    own = data if references is not None else copy_json(data)
    prepared = prepare(ctx, own, resource_id=resource_id, references=references)
    if prepared.identifier_value:
        found = find_by_identifier(
            organization=ctx.organization,
            resource_type=resource_type,
            system=prepared.identifier_system,
            value=prepared.identifier_value,
            batch=ctx.batch,
        )
        if found is not None:
            if same_content(found.body, prepared.body):
                ctx.resources[found.reference] = found
                return WriteResult(found, False)
            raise refuse(
                "duplicate_identifier",
                _("The clinic already recorded another %(type)s with this identifier; update it instead.")
                % {"type": resource_type},
                expression="identifier[0]",
                status=409,
                issue="duplicate",
                existing=found.reference,
            )
    # A concurrent submission of the same identifier makes this insert fail on the unique
    # constraint (IntegrityError): the FHIR view answers 409 `concurrent_submission`, and the
    # client's retry then finds the stored resource. No savepoint per resource for a rare race.
    resource = _store(ctx, prepared, resource_id=resource_id, existing=None)
    return WriteResult(resource, True)


def _version_wanted(if_match: str | None) -> int | None:
    if not if_match:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        raise refuse(
            "if_match_malformed", _('If-Match is W/"<version>".'), status=400, issue="invalid"
        ) from None


def resource_update(
    *,
    ctx: WriteContext,
    resource_type: str,
    resource_id: uuid.UUID,
    data: dict[str, Any],
    if_match: str | None = None,
) -> WriteResult:
    """A new version of a resource the actor's clinic recorded (If-Match: its current version)."""
    with files_removed_on_failure(ctx), transaction.atomic():
        return update_in_transaction(
            ctx=ctx, resource_type=resource_type, resource_id=resource_id, data=data, if_match=if_match
        )


def update_in_transaction(
    *,
    ctx: WriteContext,
    resource_type: str,
    resource_id: uuid.UUID,
    data: dict[str, Any],
    if_match: str | None = None,
) -> WriteResult:
    """`resource_update` without a savepoint of its own (see `create_in_transaction`)."""
    check_type(resource_type)
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        raise refuse(
            "type_mismatch",
            _("The body is not a %(type)s.") % {"type": resource_type},
            expression="resourceType",
            status=400,
            issue="invalid",
        )
    if data.get("id") and data["id"] != str(resource_id):
        raise refuse(
            "id_mismatch",
            _("The body's id is not the id in the address."),
            expression="id",
            status=400,
            issue="invalid",
        )
    row = (
        Resource.objects.select_for_update()
        .filter(external_id=resource_id, resource_type=resource_type)
        .first()
    )
    if row is None:
        raise refuse(
            "not_found",
            _("No %(type)s with this id (an update does not create).") % {"type": resource_type},
            status=404,
            issue="not-found",
        )
    if row.organization_id != ctx.organization.pk:
        raise refuse(
            "not_your_record",
            _("Only the clinic that recorded it may change it."),
            status=403,
            issue="forbidden",
        )
    wanted = _version_wanted(if_match)
    if wanted is not None and wanted != row.version_id:
        raise refuse(
            "version_conflict",
            _("The resource has changed since version %(wanted)s (now %(current)s).")
            % {"wanted": wanted, "current": row.version_id},
            status=412,
            issue="conflict",
        )
    prepared = prepare(ctx, copy_json(data), resource_id=row.external_id, existing=row)
    if prepared.identifier_value and (prepared.identifier_system, prepared.identifier_value) != (
        row.identifier_system,
        row.identifier_value,
    ):
        clash = find_by_identifier(
            organization=ctx.organization,
            resource_type=resource_type,
            system=prepared.identifier_system,
            value=prepared.identifier_value,
        )
        if clash is not None:
            raise refuse(
                "duplicate_identifier",
                _("Another resource of the clinic has this identifier."),
                expression="identifier[0]",
                status=409,
                issue="duplicate",
            )
    if same_content(row.body, prepared.body):
        return WriteResult(row, False)  # nothing changed: no new version
    return WriteResult(_store(ctx, prepared, resource_id=row.external_id, existing=row), True)


def entered_in_error_body(resource: Resource) -> dict[str, Any]:
    """The resource's body with its status saying `entered-in-error` (per type's status field)."""
    body = copy.deepcopy(resource.body)
    body.pop("meta", None)
    if resource.resource_type in EIE_SYSTEMS:
        body["verificationStatus"] = {
            "coding": [{"system": EIE_SYSTEMS[resource.resource_type], "code": _EIE}]
        }
        body.pop("clinicalStatus", None)  # FHIR: no clinical status on an entered-in-error item
    else:
        body["status"] = _EIE
    return body


def resource_mark_entered_in_error(*, actor: Actor, resource: Resource, reason: str = "") -> Resource:
    """Marks a resource recorded by the actor's clinic as a mistake (a new version; the earlier
    ones stay readable), audited with the reason given."""
    ctx = write_context(actor=actor)
    reason = reason.strip()[:500]
    with transaction.atomic():
        updated = update_in_transaction(
            ctx=ctx,
            resource_type=resource.resource_type,
            resource_id=resource.external_id,
            data=entered_in_error_body(resource),
        ).resource
        audit_record(
            actor=actor,
            action="record.resource_entered_in_error",
            object_type=f"fhir.{resource.resource_type}",
            object_id=str(resource.external_id),
            changes={"version": updated.version_id, "reason": reason},
        )
    return updated


def resource_move_patient(*, actor: Actor, resource: Resource, patient: Patient) -> Resource:
    """A new version of `resource` naming `patient` (used when a temporary patient is linked)."""
    now = timezone.now()
    body = copy.deepcopy(resource.body)
    body[PATIENT_FIELD.get(resource.resource_type, "subject")] = {
        "reference": f"Patient/{patient.external_id}"
    }
    version = resource.version_id + 1
    meta = dict(body.get("meta") or {})
    meta.update({"versionId": str(version), "lastUpdated": now.isoformat()})
    body["meta"] = meta
    resource.patient = patient
    resource.version_id = version
    resource.last_updated = now
    resource.body = body
    resource.save(update_fields=["patient", "version_id", "last_updated", "body"])
    ResourceVersion.objects.create(
        resource=resource,
        version_id=version,
        status=resource.status,
        organization=actor.organization or resource.organization,
        recorded_by=actor.user,
        api_client=actor.api_client,
        last_updated=now,
        body=body,
    )
    audit_record(
        actor=actor,
        action="record.resource_move_patient",
        object_type=f"fhir.{resource.resource_type}",
        object_id=str(resource.external_id),
        changes={"version": version},
    )
    return resource
