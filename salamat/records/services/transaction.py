"""A `transaction` Bundle: every entry stored, or none (the first refusal names its entry).

Entries reference each other by their `fullUrl` (``urn:uuid:…``). Patients are resolved first,
then encounters, then the rest in the bundle's order; an entry referring to an entry not stored
yet waits for a later pass. A retried bundle stores nothing twice: `ifNoneExist` and the
resources' business identifiers find what the first submission stored, and the answer names
the same ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.records.errors import at_entry, refuse
from salamat.records.models import Patient, Resource
from salamat.records.services.batch import Batch
from salamat.records.services.engine import (
    PendingReference,
    WriteContext,
    check_type,
    copy_json,
    references_in,
)
from salamat.records.services.registration import patient_submit
from salamat.records.services.write import (
    create_in_transaction,
    files_removed_on_failure,
    update_in_transaction,
)

_ORDER = {"Patient": 0, "Encounter": 1}


@dataclass(frozen=True)
class EntryResult:
    index: int
    created: bool
    target: Resource | Patient


@dataclass(frozen=True)
class _Entry:
    index: int
    method: str
    url: str
    full_url: str
    resource: dict[str, Any]
    if_none_exist: str
    if_match: str


def _entries(bundle: Any) -> list[_Entry]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise refuse(
            "bundle_required",
            _("POST to the base address takes a transaction Bundle."),
            expression="resourceType",
            status=400,
            issue="invalid",
        )
    if bundle.get("type") != "transaction":
        raise refuse(
            "bundle_type_not_supported",
            _("Only transaction bundles are processed."),
            expression="Bundle.type",
            status=422,
            issue="not-supported",
        )
    raw = bundle.get("entry") or []
    if not isinstance(raw, list) or not raw:
        raise refuse(
            "bundle_empty",
            _("The bundle has no entries."),
            expression="Bundle.entry",
            status=422,
            issue="required",
        )
    limit = setting("RECORD_MAX_BUNDLE_ENTRIES")
    if len(raw) > limit:
        raise refuse(
            "bundle_too_large",
            _("A bundle has at most %(limit)d entries.") % {"limit": limit},
            expression="Bundle.entry",
            status=413,
            issue="too-costly",
            limit=limit,
        )
    entries = []
    for index, item in enumerate(raw):
        try:
            entries.append(_entry(index, item))
        except DomainError as exc:
            raise at_entry(exc, index) from None
    full_urls = [e.full_url for e in entries if e.full_url]
    if len(full_urls) != len(set(full_urls)):
        raise refuse(
            "duplicate_full_url",
            _("Two entries have the same fullUrl."),
            expression="Bundle.entry",
            status=422,
            issue="invalid",
        )
    return entries


def _entry(index: int, item: Any) -> _Entry:
    if not isinstance(item, dict):
        raise refuse("entry_invalid", _("A bundle entry is an object."), status=422, issue="structure")
    request = item.get("request") or {}
    method = str(request.get("method", "")).upper()
    resource = item.get("resource")
    if method not in ("POST", "PUT"):
        raise refuse(
            "method_not_supported",
            _("A transaction entry creates (POST) or updates (PUT); nothing is deleted."),
            expression="request.method",
            status=422,
            issue="not-supported",
            outside_resource=True,
        )
    if not isinstance(resource, dict):
        raise refuse(
            "resource_required",
            _("The entry has no resource."),
            expression="resource",
            status=422,
            issue="required",
            outside_resource=True,
        )
    resource_type = resource.get("resourceType")
    if resource_type != "Patient":
        check_type(resource_type)
    if method == "PUT" and resource_type == "Patient":
        raise refuse(
            "patient_read_only",
            _("A patient's details come from the population registry."),
            status=422,
            issue="not-supported",
        )
    return _Entry(
        index=index,
        method=method,
        url=str(request.get("url", "")),
        full_url=str(item.get("fullUrl", "")),
        resource=resource,
        if_none_exist=str(request.get("ifNoneExist", "")),
        if_match=str(request.get("ifMatch", "")),
    )


def _process(ctx: WriteContext, entry: _Entry) -> EntryResult:
    resource_type = entry.resource.get("resourceType")
    creating = entry.method == "POST" and resource_type != "Patient"
    # A create works on its own copy; its references are found in one walk, used both to see
    # whether the entry waits for another and (by `prepare`) to resolve them.
    data = copy_json(entry.resource) if creating else entry.resource
    found = references_in(data)
    if ctx.pending and any(holder["reference"] in ctx.pending for holder, _path in found):
        raise PendingReference(entry.full_url)
    if resource_type == "Patient":
        patient, created = patient_submit(ctx=ctx, data=entry.resource)
        return EntryResult(entry.index, created, patient)
    if entry.method == "PUT":
        if ctx.batch is not None:
            ctx.batch.flush()  # an update reads the stored rows
        url_type, _slash, url_id = entry.url.partition("/")
        try:
            resource_id = uuid.UUID(url_id)
        except ValueError:
            raise refuse(
                "entry_url_invalid",
                _("A PUT entry's url is Type/id."),
                expression="request.url",
                status=422,
                issue="invalid",
                outside_resource=True,
            ) from None
        if url_type != resource_type:
            raise refuse(
                "type_mismatch",
                _("The entry's url names another type."),
                expression="request.url",
                status=422,
                issue="invalid",
                outside_resource=True,
            )
        result = update_in_transaction(
            ctx=ctx,
            resource_type=resource_type,
            resource_id=resource_id,
            data=entry.resource,
            if_match=entry.if_match or None,
        )
    else:
        result = create_in_transaction(
            ctx=ctx, data=data, if_none_exist=entry.if_none_exist, references=found
        )
    return EntryResult(entry.index, result.created, result.resource)


def bundle_transaction(*, ctx: WriteContext, bundle: dict[str, Any]) -> list[EntryResult]:
    """Stores every entry of a transaction bundle, or none (nor any of its documents' files);
    results in the entries' order."""
    with files_removed_on_failure(ctx), transaction.atomic():
        return _bundle_in_transaction(ctx, bundle)


def _bundle_in_transaction(ctx: WriteContext, bundle: dict[str, Any]) -> list[EntryResult]:
    entries = _entries(bundle)
    ctx.pending = {e.full_url for e in entries if e.full_url}
    ctx.batch = Batch()
    ctx.batch.prefetch(organization=ctx.organization, keys=_identifier_keys(entries))
    ctx.batch.reserve(
        sum(1 for e in entries if e.method == "POST" and e.resource.get("resourceType") != "Patient")
    )
    waiting = sorted(entries, key=lambda e: (_ORDER.get(e.resource.get("resourceType"), 2), e.index))
    results: dict[int, EntryResult] = {}
    while waiting:
        deferred: list[_Entry] = []
        for entry in waiting:
            try:
                result = _process(ctx, entry)
            except PendingReference:
                deferred.append(entry)
                continue
            except DomainError as exc:
                raise at_entry(exc, entry.index) from None
            results[entry.index] = result
            if entry.full_url:
                ctx.pending.discard(entry.full_url)
                ctx.urls[entry.full_url] = _reference(result.target)
        if len(deferred) == len(waiting):
            first = min(deferred, key=lambda e: e.index)
            raise at_entry(
                refuse(
                    "unknown_reference",
                    _("The entries reference each other in a circle."),
                    status=422,
                    issue="invalid",
                ),
                first.index,
            )
        waiting = deferred
    ctx.batch.flush()
    audit_record(
        actor=ctx.actor,
        action="record.transaction",
        object_type="fhir.Bundle",
        object_id=str(len(entries)),
        changes={"created": ctx.batch.created, "entries": len(entries)},
    )
    ctx.batch = None
    return [results[i] for i in sorted(results)]


def _identifier_keys(entries: list[_Entry]) -> set[tuple[str, str, str]]:
    """The business identifiers (and If-None-Exist identifiers) the bundle's creates name."""
    keys = set()
    for entry in entries:
        resource_type = entry.resource.get("resourceType")
        if entry.method != "POST" or resource_type == "Patient":
            continue
        first = (entry.resource.get("identifier") or [None])[0]
        if isinstance(first, dict) and first.get("value"):
            keys.add((resource_type, str(first.get("system", ""))[:255], str(first["value"])[:128]))
        if entry.if_none_exist.startswith("identifier=") and "|" in entry.if_none_exist:
            system, _sep, value = entry.if_none_exist[len("identifier=") :].partition("|")
            keys.add((resource_type, system, value))
    return keys


def _reference(target: Resource | Patient) -> str:
    if isinstance(target, Patient):
        return f"Patient/{target.external_id}"
    return target.reference
