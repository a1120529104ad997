"""Printable sticker PDFs (reportlab): A4 label sheets and a thermal roll.

Each label carries a DataMatrix of ``<PUBLIC_BASE_URL>/p/<serial>`` (rendered by zxing-cpp,
drawn as vector squares so it stays crisp at any printer resolution): an https link that a
phone's own camera app opens on the public check. Beside it: the serial in groups of four,
the product's short name, the batch and expiry, and "Check at <host>" for typing by hand.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import zxingcpp
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from salamat.codes import sticker_serial_display, sticker_url


@dataclass(frozen=True)
class Layout:
    page: tuple[float, float]
    cols: int
    rows: int
    label: tuple[float, float]  # label width, height
    margin: tuple[float, float]  # left, top


LAYOUTS: dict[str, Layout] = {
    "a4_3x8": Layout(A4, 3, 8, (70 * mm, 37.125 * mm), (0, 0)),
    "a4_4x10": Layout(A4, 4, 10, (52.5 * mm, 29.7 * mm), (0, 0)),
    "roll_40x25": Layout((40 * mm, 25 * mm), 1, 1, (40 * mm, 25 * mm), (0, 0)),
}

_FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
_MONO_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """DejaVu (Cyrillic product names) when installed, else the PDF core fonts."""
    names = ["Helvetica", "Courier-Bold"]
    for i, (name, paths) in enumerate((("SalamatSans", _FONT_PATHS), ("SalamatMono", _MONO_PATHS))):
        for path in paths:
            if Path(path).exists():
                pdfmetrics.registerFont(TTFont(name, path))
                names[i] = name
                break
    return names[0], names[1]


def datamatrix_modules(text: str) -> list[bytes]:
    """The DataMatrix of `text` as rows of module bytes (0 = dark), no quiet zone."""
    image = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix, force_square=True).to_image(
        scale=1, add_quiet_zones=False
    )
    view = memoryview(image)
    height, width = view.shape
    raw = view.tobytes()
    return [raw[r * width : (r + 1) * width] for r in range(height)]


def _draw_code(c: canvas.Canvas, modules: list[bytes], x: float, y: float, size: float) -> None:
    """Dark modules as filled rectangles, one per horizontal run (a few hundred per code)."""
    n = len(modules)
    cell = size / n
    path = c.beginPath()
    for r, row in enumerate(modules):
        top = y + size - (r + 1) * cell
        col = 0
        while col < len(row):
            if row[col] == 0:
                start = col
                while col < len(row) and row[col] == 0:
                    col += 1
                path.rect(x + start * cell, top, (col - start) * cell, cell)
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and c.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _wrap(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    """`text` in lines no wider than `width`, broken between words (a long word is cut with …)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if c.stringWidth(trial, font, size) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return [_fit(c, line, font, size, width) for line in lines]


def check_host(base_url: str) -> str:
    """The host a person types to check by hand, from the public base URL (no scheme, no path)."""
    host = urlsplit(base_url).netloc or base_url
    return host.removeprefix("www.")


def label_lines(*, batch: str, expiry: date | None) -> list[str]:
    """The batch and expiry lines of a label, in the active language."""
    lines = []
    if batch:
        lines.append(_("Batch %(batch)s") % {"batch": batch})
    if expiry:
        lines.append(_("Exp. %(date)s") % {"date": expiry.strftime("%d.%m.%Y")})
    return lines


def render_stickers(
    *,
    serials: Sequence[str],
    layout: str,
    base_url: str,
    label_text: str = "",
    batch: str = "",
    expiry: date | None = None,
) -> bytes:
    """The PDF of `serials` in `layout` (one of `LAYOUTS`): on each label the 2D code of its
    check URL, the serial, the product's short name, its batch and expiry, and a line saying
    where to check by hand ("Check at <host>"), in the active language."""
    spec = LAYOUTS[layout]
    sans, mono = _fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=spec.page, pageCompression=1)
    c.setTitle("Salamat stickers")
    per_page = spec.cols * spec.rows
    lw, lh = spec.label
    pad = 2 * mm
    # The code takes at most ~40 % of the label's width, so the text beside it stays readable;
    # its modules stay above 0.5 mm, which any phone camera reads.
    size = min(lh - 2 * pad, lw * 0.42)
    mono_size = 5.6 if lw <= 55 * mm else 7
    sans_size = 5 if lw <= 55 * mm else 6
    check = _("Check at %(host)s") % {"host": check_host(base_url)}
    facts = label_lines(batch=batch, expiry=expiry)
    for i, serial in enumerate(serials):
        if i and i % per_page == 0:
            c.showPage()
        slot = i % per_page
        col, row = slot % spec.cols, slot // spec.cols
        x0 = spec.margin[0] + col * lw
        y0 = spec.page[1] - spec.margin[1] - (row + 1) * lh
        modules = datamatrix_modules(sticker_url(serial, base_url))
        # A quiet zone of at least one module on every side: `pad` is far more than that.
        _draw_code(c, modules, x0 + pad, y0 + (lh - size) / 2, size)
        tx = x0 + pad + size + 1.5 * mm
        tw = lw - (tx - x0) - pad
        # The check line sits at the bottom; everything else fills the space above it.
        bottom = _wrap(c, check, sans, sans_size, tw)[:2]
        floor = y0 + pad + len(bottom) * sans_size * 1.15
        c.setFont(sans, sans_size)
        by = y0 + pad + (len(bottom) - 1) * sans_size * 1.15
        for line in bottom:
            c.drawString(tx, by, line)
            by -= sans_size * 1.15
        display = sticker_serial_display(serial)
        groups = display.split("-")
        serial_lines = (
            ["-".join(groups[:2]), "-".join(groups[2:])]
            if c.stringWidth(display, mono, mono_size) > tw
            else [display]
        )
        ty = y0 + lh - pad - mono_size
        c.setFont(mono, mono_size)
        for line in serial_lines:
            c.drawString(tx, ty, line)
            ty -= mono_size * 1.15
        ty -= 0.6 * mm
        c.setFont(sans, sans_size)
        product_lines = _wrap(c, label_text, sans, sans_size, tw)[:2]
        for line in [*product_lines, *[f for fact in facts for f in _wrap(c, fact, sans, sans_size, tw)]]:
            if ty < floor:
                break
            c.drawString(tx, ty, line)
            ty -= sans_size * 1.15
    c.showPage()
    c.save()
    return out.getvalue()
