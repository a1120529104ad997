"""The active labelling schemes for the parser, re-read when the table changes.

Every server process keeps the compiled schemes in memory and checks, at most every
``SCHEME_RELOAD_SECONDS``, one aggregate over the (small) scheme table: a change anywhere —
a scheme added, edited or retired, a product mapping uploaded — raises a scheme's `version`
and `updated_at`, so the process rebuilds its set within seconds, without a restart. Between
checks a parse costs one clock read.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Sum

from salamat.codes.schemes import EMPTY, ProductRef, SchemeDefinitionError, SchemeSet, SchemeSpec
from salamat.core.conf import setting

logger = logging.getLogger(__name__)


def spec_of(scheme, products=None) -> SchemeSpec:
    """The compiled SchemeSpec of a LabellingScheme row (or of an unsaved one)."""
    return SchemeSpec(
        scheme.code,
        scheme.pattern or "",
        prefix=scheme.prefix or None,
        kind=scheme.kind,
        fields=dict(scheme.fields or {}),
        checks=dict(scheme.checks or {}),
        expiry_format=scheme.expiry_format or "YYMMDD",
        products=products,
    )


def product_refs(scheme_ids) -> dict[int, dict[str, ProductRef]]:
    """scheme id -> {product code -> ProductRef}, in two queries for every scheme."""
    from salamat.registry.models import ProductGtin, SchemeProductCode

    rows = list(
        SchemeProductCode.objects.filter(scheme_id__in=scheme_ids).values_list(
            "scheme_id", "code", "product_id", "product__external_id"
        )
    )
    gtins: dict[int, str] = {}
    for product_id, gtin in (
        ProductGtin.objects.filter(product_id__in={r[2] for r in rows})
        .order_by("-pk")
        .values_list("product_id", "gtin")
    ):
        gtins[product_id] = gtin  # the oldest GTIN of the product wins (ordered newest first)
    out: dict[int, dict[str, ProductRef]] = {sid: {} for sid in scheme_ids}
    for scheme_id, code, product_id, external_id in rows:
        out[scheme_id][code] = ProductRef(gtins.get(product_id, ""), str(external_id))
    return out


def _version():
    from salamat.registry.models import LabellingScheme

    v = LabellingScheme.objects.aggregate(n=Count("id"), s=Sum("version"), t=Max("updated_at"))
    return (v["n"], v["s"], v["t"])


def load(*, with_products: bool = True) -> SchemeSet:
    """The active schemes compiled, with their product maps (a row that no longer compiles is
    left out and logged: the services refuse such rows, so only a hand edit makes one)."""
    from salamat.registry.models import LabellingScheme

    rows = list(LabellingScheme.objects.filter(is_active=True).order_by("code"))
    refs = product_refs([r.pk for r in rows]) if with_products else {}
    specs = []
    for row in rows:
        try:
            specs.append(spec_of(row, refs.get(row.pk, {})))
        except SchemeDefinitionError:
            logger.exception("labelling scheme %s does not compile; left out", row.code)
    return SchemeSet(specs, validated=True)


class Provider:
    """Callable installed with `salamat.codes.schemes.set_provider`."""

    def __init__(self) -> None:
        self._set: SchemeSet = EMPTY
        self._version = None
        self._checked = float("-inf")
        self._interval = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """The next call re-checks the table (a service calls this after a change)."""
        self._checked = float("-inf")

    def __call__(self) -> SchemeSet:
        now = time.monotonic()
        if now - self._checked < self._interval:
            return self._set
        with self._lock:
            self._interval = setting("SCHEME_RELOAD_SECONDS")
            if now - self._checked < self._interval:
                return self._set
            try:
                # A savepoint: a failed read must not break the caller's transaction.
                with transaction.atomic():
                    version = _version()
                    if version != self._version:
                        self._set = load()
                        self._set.version = version
                        self._version = version
            except DatabaseError:
                # No table yet (before migrate) or a broken transaction: keep what we have.
                return self._set
            except RuntimeError:  # no database access allowed here (a test without a database)
                return self._set
            self._checked = now
        return self._set


provider = Provider()
