"""Printable sticker PDFs (reportlab): A4 label sheets and a thermal roll.

Each label carries a DataMatrix of ``<PUBLIC_BASE_URL>/p/<serial>`` (rendered by zxing-cpp,
drawn as vector squares so it stays crisp at any printer resolution), the serial in groups
of four and the product's short name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zxingcpp
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


def render_stickers(*, serials: Sequence[str], layout: str, base_url: str, label_text: str = "") -> bytes:
    """The PDF of `serials` in `layout` (one of `LAYOUTS`)."""
    spec = LAYOUTS[layout]
    sans, mono = _fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=spec.page, pageCompression=1)
    c.setTitle("Salamat stickers")
    per_page = spec.cols * spec.rows
    lw, lh = spec.label
    pad = 2 * mm
    for i, serial in enumerate(serials):
        if i and i % per_page == 0:
            c.showPage()
        slot = i % per_page
        col, row = slot % spec.cols, slot // spec.cols
        x0 = spec.margin[0] + col * lw
        y0 = spec.page[1] - spec.margin[1] - (row + 1) * lh
        size = lh - 2 * pad  # the code is as tall as the label allows, square
        modules = datamatrix_modules(sticker_url(serial, base_url))
        # A quiet zone of at least one module on every side: `pad` is far more than that.
        _draw_code(c, modules, x0 + pad, y0 + pad, size)
        tx = x0 + pad + size + 1.5 * mm
        tw = lw - (tx - x0) - pad
        display = sticker_serial_display(serial)
        mono_size = 7 if lw > 45 * mm else 5.6
        groups = display.split("-")
        lines = (
            ["-".join(groups[:2]), "-".join(groups[2:])]
            if c.stringWidth(display, mono, mono_size) > tw
            else [display]
        )
        ty = y0 + lh - pad - mono_size
        c.setFont(mono, mono_size)
        for line in lines:
            c.drawString(tx, ty, line)
            ty -= mono_size * 1.15
        if label_text:
            c.setFont(sans, 6 if lw > 45 * mm else 5)
            words, line_, lines_out = label_text.split(), "", []
            for w in words:
                trial = f"{line_} {w}".strip()
                if c.stringWidth(trial, sans, 6) <= tw:
                    line_ = trial
                else:
                    lines_out.append(line_)
                    line_ = w
            lines_out.append(line_)
            ty -= 1 * mm
            for line in lines_out[:3]:
                if ty < y0 + pad:
                    break
                c.drawString(tx, ty, _fit(c, line, sans, 6, tw))
                ty -= 7
    c.showPage()
    c.save()
    return out.getvalue()
