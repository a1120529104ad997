"""The printable certificate: one A4 page with a QR code to the verification page.

The renderer receives a `Printable`, which has no diagnosis field at all: the
printout goes to the employer, so the diagnosis cannot reach it by mistake."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import zxingcpp
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from salamat.sickleave import presenters
from salamat.sickleave.models import SickLeave

# Cyrillic and Kyrgyz letters need a Unicode font; Debian's fonts-dejavu-core has one.
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FONT, _BOLD = "Helvetica", "Helvetica-Bold"


def _fonts() -> tuple[str, str]:
    global _FONT, _BOLD
    if _FONT == "SalamatSans":
        return _FONT, _BOLD
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("SalamatSans", str(regular)))
            pdfmetrics.registerFont(TTFont("SalamatSans-Bold", str(bold)))
            _FONT, _BOLD = "SalamatSans", "SalamatSans-Bold"
            break
    return _FONT, _BOLD


@dataclass(frozen=True)
class PrintedPeriod:
    start: date
    end: date
    days: int
    doctor: str
    position: str
    commission_chair: str


@dataclass(frozen=True)
class Printable:
    """Everything the printout shows — deliberately without any diagnosis."""

    number: str
    status: str
    patient_name: str
    patient_birth_date: date
    employer_name: str
    employer_tax_id: str
    is_main_job: bool
    reason_category: str
    issuer_name: str
    issuer_tax_id: str
    periods: tuple[PrintedPeriod, ...]
    outcome: str
    outcome_date: date | None
    duplicate_of: str
    continuation_of: str
    verify_url: str


_CATEGORY_LABELS = {
    "general": gettext_noop("Illness, injury or other general reason"),
    "occupational": gettext_noop("Occupational disease or work accident"),
    "family_care": gettext_noop("Care for a sick family member"),
    "pregnancy": gettext_noop("Pregnancy and childbirth"),
}


def printable_from(leave: SickLeave) -> Printable:
    """What may be printed of `leave` (the employer's view plus the doctors' names)."""
    employer = presenters.for_employer(leave)
    periods = sorted(leave.periods.all(), key=lambda p: p.ordinal)
    return Printable(
        number=leave.number,
        status=str(leave.get_status_display()),
        patient_name=leave.patient_full_name,
        patient_birth_date=leave.patient_birth_date,
        employer_name=leave.employer_name,
        employer_tax_id=leave.employer_tax_id,
        is_main_job=leave.is_main_job,
        reason_category=_(_CATEGORY_LABELS[employer["benefit_category"]]),
        issuer_name=leave.organization.name,
        issuer_tax_id=leave.organization.tax_id,
        periods=tuple(
            PrintedPeriod(
                start=p.start,
                end=p.end,
                days=p.days,
                doctor=p.doctor.full_name or p.doctor.username,
                position=p.doctor_position,
                commission_chair=(p.commission_chair.full_name or p.commission_chair.username)
                if p.commission_chair_id
                else "",
            )
            for p in periods
        ),
        outcome=str(leave.get_outcome_display()) if leave.outcome else "",
        outcome_date=leave.outcome_date,
        duplicate_of=leave.duplicate_of.number if leave.duplicate_of_id else "",
        continuation_of=leave.continuation_of.number if leave.continuation_of_id else "",
        verify_url=presenters.verify_url(leave.number),
    )


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code of `text` as rows of modules (True = dark), without the quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    rows, cols = image.shape
    return [[image[r, c] < 128 for c in range(cols)] for r in range(rows)]


def _draw_qr(pdf: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draws `text` as a QR code of `size` points with its lower-left corner at (x, y), as vectors."""
    modules = qr_modules(text)
    module = size / len(modules)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c  # draw a whole run of dark modules as one rectangle
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(
                x + start * module,
                y + size - (r + 1) * module,
                (c - start) * module,
                module,
                stroke=0,
                fill=1,
            )


def _d(value: date | None) -> str:
    return formats.date_format(value, "d.m.Y") if value else "—"


def render_pdf(printable: Printable, *, compress: bool = True) -> bytes:
    """The certificate as a one-page A4 PDF."""
    font, bold = _fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    pdf.setTitle(_("Sick-leave certificate %(number)s") % {"number": printable.number})
    width, height = A4
    left, y = 20 * mm, height - 25 * mm

    pdf.setFont(bold, 16)
    pdf.drawString(left, y, _("Certificate of temporary incapacity for work"))
    y -= 9 * mm
    pdf.setFont(bold, 13)
    pdf.drawString(left, y, f"№ {printable.number}")
    pdf.setFont(font, 11)
    pdf.drawString(left + 60 * mm, y, _("Status: %(status)s") % {"status": printable.status})
    _draw_qr(pdf, printable.verify_url, width - 20 * mm - 38 * mm, height - 60 * mm, 38 * mm)

    def row(label: str, value: str) -> None:
        nonlocal y
        y -= 7 * mm
        pdf.setFont(font, 9)
        pdf.drawString(left, y, label)
        pdf.setFont(font, 11)
        pdf.drawString(left + 45 * mm, y, value[:70])

    y -= 4 * mm
    row(_("Patient"), printable.patient_name)
    row(_("Birth date"), _d(printable.patient_birth_date))
    row(_("Employer"), printable.employer_name)
    row(_("Employer tax ID"), printable.employer_tax_id)
    row(_("Job"), _("main job") if printable.is_main_job else _("part-time job"))
    row(_("Reason"), printable.reason_category)
    row(_("Issued by"), f"{printable.issuer_name} ({printable.issuer_tax_id})")
    if printable.duplicate_of:
        row(_("Duplicate of"), printable.duplicate_of)
    if printable.continuation_of:
        row(_("Continues"), printable.continuation_of)

    y -= 12 * mm
    pdf.setFont(bold, 12)
    pdf.drawString(left, y, _("Exempt from work"))
    y -= 7 * mm
    pdf.setFont(bold, 9)
    for offset, title in (
        (0, _("From")),
        (25, _("To")),
        (50, _("Days")),
        (65, _("Doctor")),
        (125, _("Commission chair")),
    ):
        pdf.drawString(left + offset * mm, y, title)
    pdf.setFont(font, 9)
    for period in printable.periods:
        y -= 6 * mm
        pdf.drawString(left, y, _d(period.start))
        pdf.drawString(left + 25 * mm, y, _d(period.end))
        pdf.drawString(left + 50 * mm, y, str(period.days))
        pdf.drawString(left + 65 * mm, y, f"{period.doctor}, {period.position}".rstrip(", ")[:38])
        pdf.drawString(left + 125 * mm, y, period.commission_chair[:30])

    y -= 12 * mm
    pdf.setFont(bold, 11)
    outcome = (
        f"{printable.outcome}: {_d(printable.outcome_date)}" if printable.outcome else _("not closed yet")
    )
    pdf.drawString(left, y, _("Outcome: %(outcome)s") % {"outcome": outcome})

    pdf.setFont(font, 8)
    pdf.drawString(
        left,
        20 * mm,
        _("Check this certificate: scan the QR code or open %(url)s") % {"url": printable.verify_url},
    )
    pdf.drawString(
        left, 15 * mm, _("The diagnosis is not printed: it is known only to the patient and the doctors.")
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
