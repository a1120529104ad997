"""The applicant's documents: upload (checked by content) and delete."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import field_error
from salamat.onboarding import files, states
from salamat.onboarding.models import Application, ApplicationDocument, DocumentKind
from salamat.onboarding.services.workflow import lock_application, require_applicant


def storage() -> FileSystemStorage:
    # Built per call so that MEDIA_ROOT (outside the web root) is read when used.
    return FileSystemStorage(location=settings.MEDIA_ROOT)


@transaction.atomic
def document_upload(*, actor: Actor, application: Application, kind: str, upload) -> ApplicationDocument:
    """Stores a PDF/JPEG/PNG document (checked by content, ≤ 10 MB) under a random name."""
    application = lock_application(application)
    user = require_applicant(actor, application)
    states.assert_editable(application.status)
    if kind not in DocumentKind.values:
        raise field_error("kind", "unknown_document_kind", _("Unknown kind of document."))
    checked = files.check_document(files.read_upload(upload))
    name = f"onboarding/{timezone.now():%Y/%m}/{secrets.token_hex(20)}"
    stored = storage().save(name, ContentFile(checked.data))
    try:
        document = ApplicationDocument.objects.create(
            application=application,
            kind=kind,
            original_name=(getattr(upload, "name", "") or "document")[-255:],
            storage_name=stored,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=checked.sha256,
            uploaded_by=user,
        )
    except Exception:
        storage().delete(stored)
        raise
    audit_record(
        actor=actor,
        action="application.document_upload",
        obj=document,
        changes={
            "kind": kind,
            "size": document.size,
            "content_type": document.content_type,
            "sha256": checked.sha256,
        },
    )
    return document


@transaction.atomic
def document_delete(*, actor: Actor, document: ApplicationDocument) -> None:
    """Removes a document (only while the application can be changed)."""
    application = lock_application(document.application)
    require_applicant(actor, application)
    states.assert_editable(application.status)
    stored = document.storage_name
    audit_record(
        actor=actor, action="application.document_delete", obj=document, changes={"kind": document.kind}
    )
    document.delete()
    transaction.on_commit(lambda: storage().delete(stored))
