"""Citizen pages: check a package (typed, scanned, photographed, or a sticker's link), report a
suspicion, find where to buy. Phone-first, no login, light: the verdict is rendered on the
server, so typing a code works without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salamat.core.clientip import client_ip
from salamat.core.db_routing import replica_reads
from salamat.core.errors import DomainError
from salamat.portal import selectors, services, texts, uploads
from salamat.portal.forms import ReportForm, WhereForm
from salamat.portal.models import CheckChannel

MAX_UPLOAD = uploads.MAX_PHOTO_BYTES


def _limited(request: HttpRequest) -> HttpResponse | None:
    retry = services.rate_limit_hit(ip=client_ip(request))
    if not retry:
        return None
    response = render(request, "portal/limited.html", {"seconds": retry}, status=429)
    response["Retry-After"] = str(retry)
    return response


_BLANK_REPORT_FIELDS: dict[str, str] = {}  # language -> the blank report form's fields, rendered


def _blank_report_fields() -> str:
    """The blank report form's fields as HTML, rendered once per language and process: they
    are the same on every verdict page, and rendering a dozen widgets through their templates
    was 40 % of the page's time. (The code, the one field that varies, is rendered apart.)"""
    language = get_language() or ""
    html = _BLANK_REPORT_FIELDS.get(language)
    if html is None:
        html = _BLANK_REPORT_FIELDS[language] = render_to_string(
            "portal/_report_fields.html", {"report_form": ReportForm()}
        )
    return mark_safe(html)  # noqa: S308 - rendered by our template, autoescaped


def _verdict_context(result: selectors.CheckResult, code: str) -> dict:
    return {
        "result": result,
        "text": texts.result_text(result),
        "stage": texts.STAGES.get(result.extra.get("stage", "")),
        "left": result.extra.get("left"),
        "left_reason": texts.REASONS.get((result.extra.get("left") or {}).get("reason", "")),
        "code": code,
        "report_form": ReportForm(initial={"code": code}),
        "report_fields": _blank_report_fields(),
    }


@require_http_methods(["GET", "POST"])
@replica_reads
def check(request: HttpRequest) -> HttpResponse:
    """GET ?code=… checks a typed or scanned code; POST checks the codes in an uploaded photo."""
    context: dict = {"max_upload_mb": MAX_UPLOAD // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        limited = _limited(request)
        if limited:
            return limited
        photo = request.FILES.get("photo")
        try:
            if photo is None:
                raise DomainError("empty_file", _("Choose a photo of the code."))
            codes = uploads.decode_photo(photo)
        except DomainError as exc:
            context["photo_error"] = exc.message
            return render(request, "portal/check.html", context, status=422)
        if not codes:
            context["photo_error"] = _("No code found in the photo. Hold the camera closer, with good light.")
            return render(request, "portal/check.html", context, status=422)
        code = codes[0]
        result = selectors.package_check(code=code)
        services.check_log(key=result.key, raw=code, verdict=result.verdict, channel=CheckChannel.PHOTO)
        context.update(_verdict_context(result, code))
        return render(request, "portal/check.html", context)
    code = request.GET.get("code", "").strip()
    if code:
        limited = _limited(request)
        if limited:
            return limited
        result = selectors.package_check(code=code[: selectors.MAX_CODE_LENGTH])
        services.check_log(key=result.key, raw=code, verdict=result.verdict, channel=CheckChannel.WEB)
        context.update(_verdict_context(result, code))
    return render(request, "portal/check.html", context, status=status)


@require_GET
@replica_reads
def sticker(request: HttpRequest, serial: str) -> HttpResponse:
    """A sticker's own link (what a phone camera opens): the verdict at once."""
    limited = _limited(request)
    if limited:
        return limited
    code = f"sticker:{serial}" if len(serial) <= 32 else serial[:32]
    result = selectors.package_check(code=code)
    services.check_log(key=result.key, raw=code, verdict=result.verdict, channel=CheckChannel.WEB)
    context = {"max_upload_mb": MAX_UPLOAD // (1024 * 1024), **_verdict_context(result, serial)}
    return render(request, "portal/check.html", context)


@require_POST
def report(request: HttpRequest) -> HttpResponse:
    """A citizen reports a suspicion about the package just checked: an alert for the regulator."""
    limited = _limited(request)
    if limited:
        return limited
    form = ReportForm(request.POST, request.FILES)
    code = request.POST.get("code", "")[: selectors.MAX_CODE_LENGTH]
    result = selectors.package_check(code=code) if code else None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_create(
                key=result.key if result else "", verdict=result.verdict if result else "", problem=data["problem"],
                description=data["description"], where_bought=data["where_bought"], region=data["region"],
                phone=data["phone"], photo=data["photo"],
            )  # fmt: skip
        except DomainError as exc:
            fields = (exc.details or {}).get("fields") or [{"field": None, "message": exc.message}]
            for f in fields:
                form.add_error(f["field"] if f["field"] in form.fields else None, f["message"])
        else:
            return render(request, "portal/reported.html", {"code": code})
    context = {"max_upload_mb": MAX_UPLOAD // (1024 * 1024), "report_open": True}
    if result is not None:
        context.update(_verdict_context(result, code))
    context["report_form"], context["report_fields"] = form, None  # with its errors: rendered afresh
    return render(request, "portal/check.html", context, status=422)


@require_GET
@replica_reads
def where(request: HttpRequest) -> HttpResponse:
    """Where to buy: pharmacies with the medicine in stock now."""
    form = WhereForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        limited = _limited(request)
        if limited:
            return limited
        results = selectors.where_to_buy(query=form.cleaned_data["q"], region=form.cleaned_data["region"])
    return render(request, "portal/where.html", {"form": form, "results": results})
