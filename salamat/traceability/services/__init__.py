"""Every write of the traceability module, one file per family of operations.

    batch.py        batches: many requests of one operation in one transaction (the _many services)
    engine.py       what every operation shares: who may do what, parsing and locking the
                    codes, package and box rows, the rules checks, the refusal and its alerts,
                    `_run`
    recording.py    what an allowed operation writes: event time, site, event and (event,
                    package) rows, the answer, audit
    fast.py         the fast path: a plain bulk request in one statement (PostgreSQL)
    idempotency.py  Idempotency-Key: a retry gets the stored answer
    introduce.py    packages_introduce
    withdraw.py     packages_sell, _dispense, _write_off, _destroy, _export, _return
    containers.py   containers_aggregate, containers_disaggregate, containers_aggregate_many
    shipments.py    shipment_send, shipment_accept, shipment_reject, shipments_send_many,
                    shipments_accept_many (the _many ones: batches, see batch.py)
    cancel.py       operation_cancel, operation_cancel_packages (some packages of one)
    regulator.py    recall_preview, recall_create, recall_lift, alert_set_status, alert_resolve,
                    alert_assign
    registered.py   packages_register, packages_lock_states, packages_unregister (the packages
                    of issued stickers, before they are introduced)

This module is the public surface: callers import from `salamat.traceability.services`,
never from the files above, so the files can be rearranged without touching them.
"""

from salamat.traceability.models import OperationType
from salamat.traceability.services.batch import DEFERRED
from salamat.traceability.services.cancel import operation_cancel, operation_cancel_packages
from salamat.traceability.services.containers import (
    containers_aggregate,
    containers_aggregate_many,
    containers_disaggregate,
)
from salamat.traceability.services.engine import (
    _PIPELINE_SLICES,  # read by a test that counts the pipelined queries
    INTRODUCER_TYPES,
    MAX_CODES,
    OPERATION_ROLES,
    OperationRefused,
    alerts_record,
    parse_codes,
)
from salamat.traceability.services.idempotency import Idempotency, idempotent_call, request_hash
from salamat.traceability.services.introduce import packages_introduce
from salamat.traceability.services.registered import (
    packages_lock_states,
    packages_register,
    packages_unregister,
)
from salamat.traceability.services.regulator import (
    ALERT_TRANSITIONS,
    RecallPreview,
    alert_assign,
    alert_resolve,
    alert_set_status,
    recall_create,
    recall_lift,
    recall_preview,
)
from salamat.traceability.services.shipments import (
    shipment_accept,
    shipment_reject,
    shipment_send,
    shipments_accept_many,
    shipments_send_many,
)
from salamat.traceability.services.withdraw import (
    packages_destroy,
    packages_dispense,
    packages_export,
    packages_return,
    packages_sell,
    packages_write_off,
)

__all__ = [
    "ALERT_TRANSITIONS",
    "DEFERRED",
    "INTRODUCER_TYPES",
    "MAX_CODES",
    "OPERATION_ROLES",
    "_PIPELINE_SLICES",
    "Idempotency",
    "OperationRefused",
    "OperationType",
    "RecallPreview",
    "alert_assign",
    "alert_resolve",
    "alert_set_status",
    "alerts_record",
    "containers_aggregate",
    "containers_aggregate_many",
    "containers_disaggregate",
    "idempotent_call",
    "operation_cancel",
    "operation_cancel_packages",
    "packages_destroy",
    "packages_dispense",
    "packages_export",
    "packages_introduce",
    "packages_lock_states",
    "packages_register",
    "packages_return",
    "packages_sell",
    "packages_unregister",
    "packages_write_off",
    "parse_codes",
    "recall_create",
    "recall_lift",
    "recall_preview",
    "request_hash",
    "shipment_accept",
    "shipment_reject",
    "shipment_send",
    "shipments_accept_many",
    "shipments_send_many",
]
