"""The regulator's pages for labelling schemes: list, add, edit, retire, try a code (htmx),
upload a product mapping. Thin: forms check shapes, services decide."""

from __future__ import annotations

import json

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.core.actors import actor_for_request
from salamat.core.errors import DomainError
from salamat.core.pages import error_page, login_required
from salamat.registry.labelling import services
from salamat.registry.labelling.selectors import parsed_out, scheme_list
from salamat.registry.models import LabellingScheme, SchemeKind

_JSON_HELP = _('JSON, for example {"product": "9N", "serial": "S"}')


class SchemeForm(forms.Form):
    code = forms.SlugField(label=_("Code (key prefix)"), max_length=40)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=255)
    name_ky = forms.CharField(label=_("Name (Kyrgyz)"), max_length=255, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=SchemeKind.choices)
    prefix = forms.CharField(label=_("Literal prefix"), max_length=40, required=False)
    pattern = forms.CharField(
        label=_("Pattern"), required=False, max_length=1000,
        help_text=_("A regular expression with named groups product, serial, batch, expiry: (?P<serial>…)"),
        widget=forms.TextInput(attrs={"class": "mono"}),
    )  # fmt: skip
    fields = forms.CharField(label=_("Data identifiers (envelope)"), required=False, help_text=_JSON_HELP)
    checks = forms.CharField(
        label=_("Check digits"), required=False, help_text=_('JSON, for example {"product": "ifa_ppn_mod97"}')
    )
    expiry_format = forms.ChoiceField(
        label=_("Expiry format"), choices=[("YYMMDD", "YYMMDD"), ("YYYYMMDD", "YYYYMMDD")]
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def _json(self, name: str) -> dict:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(_("An object of text values is expected."))
        return value

    def clean_fields(self) -> dict:
        return self._json("fields")

    def clean_checks(self) -> dict:
        return self._json("checks")


class TryForm(forms.Form):
    code = forms.CharField(label=_("Scanned code"), max_length=600)


class MappingForm(forms.Form):
    file = forms.FileField(label=_("CSV file: code,registration_number (or code,gtin)"))


def _regulator(request: HttpRequest):
    actor = actor_for_request(request)
    services.require_regulator(actor)
    return actor


def _guarded(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:  # not the regulator, no such scheme
            return error_page(request, exc)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(never_cache(wrapper))


def _control_chars(text: str) -> str:
    r"""A typed code with \u001d-style escapes turned into the characters (the try box)."""
    for escape, char in (("\\u001d", "\x1d"), ("\\u001e", "\x1e"), ("\\u0004", "\x04")):
        text = text.replace(escape, char)
    return text


@_guarded
def scheme_list_view(request: HttpRequest) -> HttpResponse:
    """Every scheme, with a try-a-code box over all active ones."""
    _regulator(request)
    return render(request, "registry/labelling/list.html", {"schemes": scheme_list(), "try_form": TryForm()})


@_guarded
@require_http_methods(["GET", "POST"])
def scheme_add(request: HttpRequest) -> HttpResponse:
    actor = _regulator(request)
    form = SchemeForm(request.POST or None, initial={"kind": SchemeKind.PATTERN, "expiry_format": "YYMMDD"})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            scheme = services.scheme_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            error = exc
        else:
            return redirect("labelling:detail", code=scheme.code)
    return render(request, "registry/labelling/form.html", {"form": form, "error": error, "scheme": None})


def _scheme(code: str) -> LabellingScheme:
    return services.scheme_get(code=code)


@_guarded
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, code: str) -> HttpResponse:
    actor = _regulator(request)
    try:
        scheme = _scheme(code)
    except DomainError as exc:
        return error_page(request, exc)
    initial = {
        name: getattr(scheme, name)
        for name in (
            "code",
            "name_ru",
            "name_ky",
            "name_en",
            "kind",
            "prefix",
            "pattern",
            "expiry_format",
            "description",
        )
    }
    initial["fields"] = json.dumps(scheme.fields) if scheme.fields else ""
    initial["checks"] = json.dumps(scheme.checks) if scheme.checks else ""
    form = SchemeForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    error = None
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.scheme_update(actor=actor, scheme=scheme, **changes)
        except DomainError as exc:
            error = exc
        else:
            return redirect("labelling:detail", code=scheme.code)
    return render(request, "registry/labelling/form.html", {"form": form, "error": error, "scheme": scheme})


@_guarded
def scheme_detail(request: HttpRequest, code: str) -> HttpResponse:
    _regulator(request)
    try:
        scheme = _scheme(code)
    except DomainError as exc:
        return error_page(request, exc)
    mappings = scheme.product_codes.select_related("product").order_by("code")[:50]
    return render(
        request, "registry/labelling/detail.html",
        {"scheme": scheme, "try_form": TryForm(), "mapping_form": MappingForm(), "mappings": mappings,
         "mapping_count": scheme.product_codes.count()},
    )  # fmt: skip


@_guarded
@require_POST
def scheme_retire(request: HttpRequest, code: str) -> HttpResponse:
    actor = _regulator(request)
    try:
        services.scheme_retire(actor=actor, scheme=_scheme(code))
    except DomainError as exc:
        return error_page(request, exc)
    return redirect("labelling:detail", code=code)


@_guarded
@require_POST
def scheme_try(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The try box (htmx partial): what the scanned string parses to."""
    _regulator(request)
    form = TryForm(request.POST)
    result = None
    if form.is_valid():
        scheme = _scheme(code) if code else None
        result = parsed_out(
            services.scheme_try(scheme=scheme, code=_control_chars(form.cleaned_data["code"]))
        )
    return render(request, "registry/labelling/_try_result.html", {"result": result, "form": form})


@_guarded
@require_POST
def scheme_mapping_upload(request: HttpRequest, code: str) -> HttpResponse:
    actor = _regulator(request)
    scheme = _scheme(code)
    form = MappingForm(request.POST, request.FILES)
    message, error = None, None
    if form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            result = services.scheme_products_import(actor=actor, scheme=scheme, text=text)
        except UnicodeDecodeError:
            error = _("The file must be UTF-8 text.")
        except DomainError as exc:
            error = exc.message
            rows = (exc.details or {}).get("rows") if isinstance(exc.details, dict) else None
            if rows:
                error = f"{exc.message} " + "; ".join(f"{r['line']}: {r['code']}" for r in rows[:10])
        else:
            message = _("%(added)d product codes added, %(updated)d changed.") % {
                "added": result.added, "updated": result.updated,
            }  # fmt: skip
    mappings = scheme.product_codes.select_related("product").order_by("code")[:50]
    return render(
        request, "registry/labelling/detail.html",
        {"scheme": scheme, "try_form": TryForm(), "mapping_form": form, "mappings": mappings,
         "mapping_count": scheme.product_codes.count(), "mapping_message": message, "mapping_error": error},
        status=200 if error is None else 422,
    )  # fmt: skip
