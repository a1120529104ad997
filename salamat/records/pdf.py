"""The patient's whole record as a PDF (reportlab, the sick leave printout's fonts and colours):
the summary first (allergies, problems, medicines, vaccinations, latest results), then every
visit. Each section and visit is also a bookmark of the PDF, so a reader jumps to it."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from salamat.records.presenters import Item, RecordView

# Cyrillic and Kyrgyz letters need a Unicode font; Debian's fonts-dejavu-core has one.
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_INK, _MUTED, _ALERT = colors.HexColor("#1f2d3d"), colors.HexColor("#5b6b7c"), colors.HexColor("#b42318")


def _fonts() -> tuple[str, str]:
    if "RecordSans" in pdfmetrics.getRegisteredFontNames():
        return "RecordSans", "RecordSans-Bold"
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("RecordSans", str(regular)))
            pdfmetrics.registerFont(TTFont("RecordSans-Bold", str(bold)))
            return "RecordSans", "RecordSans-Bold"
    return "Helvetica", "Helvetica-Bold"


class _Heading(Paragraph):
    """A heading that becomes a bookmark of the PDF."""

    def __init__(self, text: str, style: ParagraphStyle, *, level: int):
        super().__init__(escape(text), style)
        self.outline_title, self.outline_level = text, level


class _Document(SimpleDocTemplate):
    def afterFlowable(self, flowable):  # noqa: N802 (reportlab's hook name)
        if isinstance(flowable, _Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, level=flowable.outline_level, closed=False)


def _day(value) -> str:
    return formats.date_format(timezone.localtime(value).date(), "SHORT_DATE_FORMAT")


def record_pdf(view: RecordView) -> bytes:
    """The PDF of `view` (a patient's record shaped by `presenters.record_view`)."""
    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, textColor=_INK)
    muted = ParagraphStyle("muted", parent=body, textColor=_MUTED, fontSize=8.5, leading=11)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=20, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=3
    )
    h3 = ParagraphStyle("h3", parent=body, fontName=bold, fontSize=10, leading=14, spaceBefore=6)
    alert = ParagraphStyle("alert", parent=body, fontName=bold, textColor=_ALERT)
    patient = view.patient
    story: list = [
        _Heading(_("Medical record"), title, level=0),
        Paragraph(escape(patient.full_name or patient.temporary_id or ""), h3),
        Paragraph(
            escape(
                " · ".join(
                    p
                    for p in (
                        f"{_('PIN')} {patient.pin}" if patient.pin else patient.temporary_id or "",
                        f"{_('born')} {formats.date_format(patient.birth_date, 'SHORT_DATE_FORMAT')}"
                        if patient.birth_date
                        else "",
                        f"{_('printed')} {_day(timezone.now())}",
                    )
                    if p
                )
            ),
            muted,
        ),
        Spacer(1, 3 * mm),
    ]

    def line(item: Item, *, style=body, date_first: bool = True) -> Paragraph:
        parts = [f"<b>{escape(item.title)}</b>"]
        if item.code and item.code not in item.title:
            parts.append(escape(item.code))
        if item.detail:
            parts.append(escape(item.detail))
        when = f"{_day(item.when)} · " if date_first else ""
        clinic = f' <font color="#5b6b7c">({escape(item.clinic)})</font>'
        return Paragraph(when + " · ".join(parts) + clinic, style)

    def section(heading: str, items: list[Item], *, style=body) -> None:
        story.append(_Heading(heading, h2, level=1))
        if not items:
            story.append(Paragraph(escape(_("Nothing recorded.")), muted))
        for item in items:
            story.append(line(item, style=alert if item.critical else style))

    section(_("Allergies and intolerances"), view.allergies, style=alert)
    section(_("Active problems"), view.problems)
    section(_("Current medicines"), view.medications)
    section(_("Vaccinations"), view.vaccinations)
    story.append(_Heading(_("Latest results"), h2, level=1))
    if not view.trends:
        story.append(Paragraph(escape(_("Nothing recorded.")), muted))
    for trend in view.trends:
        when, _value, text = trend.last
        previous = f" ({_('before')}: {trend.previous[2]})" if trend.previous else ""
        story.append(
            Paragraph(f"{_day(when)} · <b>{escape(trend.title)}</b>: {escape(text)}{escape(previous)}", body)
        )

    story.append(_Heading(_("Visits"), h2, level=1))
    if not view.visits:
        story.append(Paragraph(escape(_("Nothing recorded.")), muted))
    for visit in view.visits:
        diagnoses = ", ".join(f"{d.code}" for d in visit.diagnoses)
        heading = f"{_day(visit.item.when)} · {visit.class_label}" + (f" · {diagnoses}" if diagnoses else "")
        story.append(_Heading(heading, h3, level=2))
        story.append(
            Paragraph(
                escape(
                    visit.item.clinic + (f" · {visit.item.recorded_by}" if visit.item.recorded_by else "")
                ),
                muted,
            )
        )
        if visit.reason:
            story.append(Paragraph(f"{escape(_('Reason for visit'))}: {escape(visit.reason)}", body))
        for item in visit.items:
            story.append(line(item, date_first=False, style=alert if item.critical else body))
        for leave in visit.sick_leaves:
            story.append(
                Paragraph(escape(f"{_('Sick leave')} № {leave.number} · {leave.get_status_display()}"), body)
            )
        if visit.note:
            story.append(Paragraph(escape(visit.note), muted))

    out = io.BytesIO()
    document = _Document(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=_("Medical record"),
        author="Salamat",
    )
    document.build(story)
    return out.getvalue()
