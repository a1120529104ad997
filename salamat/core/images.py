"""Is an upload really an image? One check for every upload the platform takes."""

from __future__ import annotations

from PIL import Image, UnidentifiedImageError

_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def image_format(source, *, max_pixels: int | None = None) -> str | None:
    """Pillow's format name (``JPEG``, ``PNG``…) of a file or file-like object that fully
    decodes as an image, else None (also past `max_pixels`: a decompression bomb)."""
    try:
        with Image.open(source) as image:
            if max_pixels is not None and image.width * image.height > max_pixels:
                return None
            found = image.format
            image.verify()
    except _UNREADABLE:
        return None
    return found
