"""The public JSON API for the mobile app (no login): check a code, find where to buy.

Mounted at /api/public/ as its own lean NinjaAPI (documented at /api/public/docs) and served
by `PublicApiMiddleware` ahead of sessions and CSRF. Rate-limited per client address (429 with
`Retry-After`); every check is logged for the regulator's statistics.
"""

from __future__ import annotations

import json
from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from salamat.core.api import ErrorOut, install_error_handlers
from salamat.core.db_routing import replica_reads
from salamat.portal import selectors, services, texts
from salamat.portal.models import CheckChannel
from salamat.registry.models import Region

public_api = NinjaAPI(
    title="Salamat public API",
    version="1.0.0",
    description=(
        "Public endpoints for the citizens' mobile app: check a medicine package by its code and find "
        "pharmacies that have a medicine in stock. No login. Limited per client address: over the limit "
        "the answer is 429 `rate_limited` with a `Retry-After` header (seconds). Errors have the shape "
        "`{code, message, details}`; send `Accept-Language: ru|ky|en`."
    ),
    urls_namespace="public_api",
    docs_url="/docs",
)
install_error_handlers(public_api)
ERRORS = {422: ErrorOut, 429: ErrorOut}
JSON = "application/json; charset=utf-8"


class ProductOut(Schema):
    trade_name: str = Field(description="As registered, in Latin script (also the English name).")
    inn: str = Field(description="As registered, in Latin script (also the English name).")
    dosage_form: str = Field(description="As registered, in English.")
    strength: str
    manufacturer: str
    country: str
    registration_number: str
    trade_name_ru: str = Field(default="", description="In Russian; blank where the registry has none.")
    trade_name_ky: str = Field(default="", description="In Kyrgyz; blank where the registry has none.")
    inn_ru: str = Field(default="", description="In Russian; blank where the registry has none.")
    inn_ky: str = Field(default="", description="In Kyrgyz; blank where the registry has none.")
    dosage_form_ru: str = Field(default="", description="In Russian; blank where the registry has none.")
    dosage_form_ky: str = Field(default="", description="In Kyrgyz; blank where the registry has none.")


class HolderOut(Schema):
    name: str = Field(description="The participant holding the package (a pharmacy, a warehouse…).")
    type: str
    site: str
    address: str
    region: str


class CheckOut(Schema):
    verdict: str = Field(
        description="genuine | already_sold | recalled | expired | not_tracked | unknown | sticker_not_in_circulation"
    )
    title: str = Field(description="The verdict in plain words, in the request's language.")
    advice: str
    tone: str = Field(description="ok | warning | danger | info: the colour to show.")
    product: ProductOut | None = None
    batch: str = ""
    expiry: date | None = None
    holder: HolderOut | None = None


class PharmacyOut(Schema):
    region: str
    site: dict
    organization: str
    packages: int


class WhereOut(Schema):
    product: ProductOut
    pharmacies: list[PharmacyOut]


def check_out(result: selectors.CheckResult) -> dict:
    text = texts.result_text(result)
    return {
        "verdict": str(result.verdict), "title": str(text.title), "advice": str(text.advice), "tone": text.tone,
        "product": result.product, "batch": result.batch, "expiry": result.expiry, "holder": result.holder,
    }  # fmt: skip


class CheckIn(Schema):
    code: str = Field(min_length=1, max_length=512, description="Any code as scanned or typed.")
    region: Region | None = Field(default=None, description="Where the citizen is (for statistics).")


class WhereIn(Schema):
    q: str = Field(min_length=2, max_length=100, description="Trade name or INN.")
    region: Region | None = None


@replica_reads
def check_answer(code: str, region: str) -> HttpResponse:
    """Checks, logs and answers; shared by the documented operation and the short path."""
    result = selectors.package_check(code=code)
    services.check_log(
        key=result.key, raw=code, verdict=result.verdict, channel=CheckChannel.API, region=region
    )
    # The answer is built from plain values here, so it is sent as is: validating it again
    # against `CheckOut` would cost a fifth of the request (a test holds it to the schema).
    return HttpResponse(json.dumps(check_out(result), default=str, ensure_ascii=False), content_type=JSON)


_REGIONS = frozenset(Region.values)


def check_fast(request: HttpRequest) -> HttpResponse | None:
    """The check without the framework's parameter machinery, for well-formed requests only;
    None sends anything else through the documented operation (and its 422 answers)."""
    if request.method != "GET":
        return None
    code, region = request.GET.get("code", ""), request.GET.get("region") or ""
    if not 1 <= len(code) <= 512 or (region and region not in _REGIONS) or len(request.GET) > 2:
        return None
    return check_answer(code, region)


@public_api.get("/check", response={200: CheckOut, **ERRORS}, summary="Check a package", auth=None)
def check(request: HttpRequest, params: Query[CheckIn]):
    """The verdict on one package code; never lists other packages' codes."""
    return check_answer(params.code, params.region or "")


@public_api.get("/where", response={200: list[WhereOut], **ERRORS}, summary="Where to buy", auth=None)
@decorate_view(replica_reads)
def where(request: HttpRequest, params: Query[WhereIn]):
    """Pharmacies with sellable packages of the matching medicines now (at most 10 medicines)."""
    return selectors.where_to_buy(query=params.q, region=params.region or "")
