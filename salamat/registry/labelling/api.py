"""Labelling schemes for the regulator (/api/v1/labelling-schemes): list, add, change, retire,
try a code, upload a product mapping. Thin: every rule lives in `services`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from salamat.core.api import API_AUTH, ERRORS, actor_of
from salamat.registry.labelling import services
from salamat.registry.labelling.schemas import (
    MappingIn,
    MappingOut,
    SchemeIn,
    SchemeOut,
    SchemeUpdateIn,
    TryIn,
    TryOut,
)
from salamat.registry.labelling.selectors import parsed_out, scheme_list

router = Router(tags=["Labelling schemes"], auth=API_AUTH)


def _regulator(request: HttpRequest):
    actor = actor_of(request)
    services.require_regulator(actor)
    return actor


@router.get(
    "/labelling-schemes", response={200: list[SchemeOut], **ERRORS}, summary="Labelling schemes (regulator)"
)
def schemes(request: HttpRequest):
    """Every scheme, active and retired, with the number of mapped product codes."""
    _regulator(request)
    return scheme_list()


@router.post(
    "/labelling-schemes", response={201: SchemeOut, **ERRORS}, summary="Add a labelling scheme (regulator)"
)
def scheme_create(request: HttpRequest, payload: SchemeIn):
    """Refused with `pattern_without_serial`, `slow_pattern`, `collides_with_gs1` or
    `collides_with_scheme` (with an example) and nothing is stored; active in every server
    process within seconds otherwise."""
    scheme = services.scheme_create(actor=_regulator(request), **payload.dict())
    return 201, scheme


@router.get(
    "/labelling-schemes/{code}",
    response={200: SchemeOut, **ERRORS},
    summary="One labelling scheme (regulator)",
)
def scheme_detail(request: HttpRequest, code: str):
    _regulator(request)
    return services.scheme_get(code=code)


@router.patch(
    "/labelling-schemes/{code}", response={200: SchemeOut, **ERRORS}, summary="Change a scheme (regulator)"
)
def scheme_update(request: HttpRequest, code: str, payload: SchemeUpdateIn):
    actor = _regulator(request)
    changes = payload.dict(exclude_unset=True)
    return services.scheme_update(actor=actor, scheme=services.scheme_get(code=code), **changes)


@router.post(
    "/labelling-schemes/{code}/retire",
    response={200: SchemeOut, **ERRORS},
    summary="Retire a scheme (regulator)",
)
def scheme_retire(request: HttpRequest, code: str):
    actor = _regulator(request)
    return services.scheme_retire(actor=actor, scheme=services.scheme_get(code=code))


@router.post(
    "/labelling-schemes/{code}/try",
    response={200: TryOut, **ERRORS},
    summary="What a code parses to (regulator)",
)
def scheme_try(request: HttpRequest, code: str, payload: TryIn):
    _regulator(request)
    return parsed_out(services.scheme_try(scheme=services.scheme_get(code=code), code=payload.code))


@router.post(
    "/labelling-schemes/{code}/products",
    response={200: MappingOut, **ERRORS},
    summary="Map product codes (regulator)",
)
def scheme_products(request: HttpRequest, code: str, payload: MappingIn):
    """All or nothing: a file with any bad row is refused (`bad_csv_rows`, rows listed)."""
    actor = _regulator(request)
    result = services.scheme_products_import(
        actor=actor, scheme=services.scheme_get(code=code), text=payload.csv
    )
    return {"added": result.added, "updated": result.updated}
