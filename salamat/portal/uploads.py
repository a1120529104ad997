"""Photos from citizens: at most 10 MB, and an image by content (not by name or declared type)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from PIL import Image

from salamat.core.errors import field_error
from salamat.core.images import image_format

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 10 MB JPEG of more than this is a decompression bomb, not a photo
_KINDS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def check_image(upload, *, field: str = "photo") -> str:
    """The image's kind (jpg, png, webp), or a 422 field error: empty, too large, or not an image."""
    size = getattr(upload, "size", None)
    if not size:
        raise field_error(field, "empty_file", _("The file is empty."))
    if size > MAX_PHOTO_BYTES:
        raise field_error(field, "file_too_large", _("The photo must be at most 10 MB."))
    upload.seek(0)
    try:
        kind = _KINDS.get(image_format(upload, max_pixels=MAX_PIXELS) or "")
    finally:
        upload.seek(0)
    if kind is None:
        raise field_error(field, "not_an_image", _("Send a photo (JPEG, PNG or WebP)."))
    return kind


def decode_photo(upload) -> list[str]:
    """The texts of the 2D codes and barcodes zxing-cpp finds in a photo (checked first)."""
    import zxingcpp

    check_image(upload)
    with Image.open(upload) as image:
        image.thumbnail((2400, 2400))
        results = zxingcpp.read_barcodes(image.convert("L"))
    upload.seek(0)
    return [r.text for r in results if r.valid and r.text]
