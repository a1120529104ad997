import pytest
from django.db import DatabaseError, transaction

from salamat.core.actors import SYSTEM
from salamat.core.audit import audit_record
from salamat.core.models import AuditLog


@pytest.mark.django_db
def test_audit_scrubs_personal_data():
    row = audit_record(
        actor=SYSTEM,
        action="test.act",
        object_type="x",
        object_id="1",
        changes={"pin": "21201199012345", "name": "A"},
    )
    assert row.changes == {"pin": "[hidden]", "name": "A"}


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_audit_log_refuses_update_and_delete_on_postgres():
    row = audit_record(actor=SYSTEM, action="test.act", object_type="x", object_id="1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).action == "test.act"
