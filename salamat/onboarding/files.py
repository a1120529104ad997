"""Checking uploaded documents by their content, never by their name."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from salamat.core.errors import ValidationFailed
from salamat.core.images import image_format

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
_SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    sha256: str


def _refuse(code: str, message: str, **details) -> ValidationFailed:
    return ValidationFailed(
        code, message, details={"fields": [{"field": "file", "code": code, "message": message}], **details}
    )


def read_upload(upload, *, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of an uploaded file, refusing `document_too_large` without reading past the limit."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse("document_too_large", _("A document may be at most 10 MB."), limit=limit)
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > limit:
            raise _refuse("document_too_large", _("A document may be at most 10 MB."), limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def check_document(data: bytes, *, limit: int = MAX_DOCUMENT_BYTES) -> CheckedFile:
    """The document's real type (PDF, JPEG or PNG) from its bytes, or a refusal with its code."""
    if not data:
        raise _refuse("document_empty", _("The file is empty."))
    if len(data) > limit:
        raise _refuse("document_too_large", _("A document may be at most 10 MB."), limit=limit)
    content_type = next((ctype for magic, ctype in _SIGNATURES if data.startswith(magic)), None)
    if content_type is None:
        raise _refuse("document_type_not_allowed", _("Only PDF, JPEG and PNG documents are accepted."))
    # A valid header is not enough for an image: it must actually decode as one.
    if content_type in _PILLOW_FORMAT and image_format(io.BytesIO(data)) != _PILLOW_FORMAT[content_type]:
        raise _refuse("document_type_not_allowed", _("The image cannot be read."))
    return CheckedFile(data=data, content_type=content_type, sha256=hashlib.sha256(data).hexdigest())
