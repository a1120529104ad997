"""The record's writes (public surface): callers import from here, never from the modules."""

from salamat.records.services.engine import WriteContext
from salamat.records.services.link import patient_link
from salamat.records.services.patients import SID_TEMPORARY, patient_for_pin, patient_register_temporary
from salamat.records.services.registration import patient_submit
from salamat.records.services.transaction import EntryResult, bundle_transaction
from salamat.records.services.write import (
    WriteResult,
    resource_create,
    resource_mark_entered_in_error,
    resource_update,
    write_context,
)

__all__ = [
    "SID_TEMPORARY",
    "EntryResult",
    "WriteContext",
    "WriteResult",
    "bundle_transaction",
    "patient_for_pin",
    "patient_link",
    "patient_register_temporary",
    "patient_submit",
    "resource_create",
    "resource_mark_entered_in_error",
    "resource_update",
    "write_context",
]
