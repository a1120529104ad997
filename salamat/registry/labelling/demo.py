"""Demo product codes for the shipped schemes, so that a demo user can try an IFA or a Chinese
code (fictional codes; idempotent). Called by `seed_demo` after the registry."""

from __future__ import annotations

from salamat.codes.checkdigit import ALGORITHMS
from salamat.core.actors import SYSTEM
from salamat.registry.demo import product_specs
from salamat.registry.labelling import services
from salamat.registry.models import LabellingScheme, SchemeProductCode


def demo_ppn(pzn: str) -> str:
    body = "11" + pzn
    return body + ALGORITHMS["ifa_ppn_mod97"].compute(body)


# (scheme, product code, index of the demo product in `product_specs()`)
DEMO_CODES = (
    ("ifa", demo_ppn("90000017"), 0),
    ("ifa", demo_ppn("90000025"), 1),
    ("cn-drug", "8000001", 2),
    ("cn-drug", "8000002", 3),
)


def seed_scheme_codes() -> int:
    """Maps the demo product codes of the shipped schemes that are not mapped yet; returns how many."""
    specs = product_specs()
    added = 0
    for scheme in LabellingScheme.objects.filter(code__in={c[0] for c in DEMO_CODES}):
        rows = [(code, specs[i].registration_number) for s, code, i in DEMO_CODES if s == scheme.code]
        known = set(SchemeProductCode.objects.filter(scheme=scheme).values_list("code", flat=True))
        rows = [r for r in rows if r[0] not in known]
        if rows:
            text = "code,registration_number\n" + "".join(f"{c},{r}\n" for c, r in rows)
            added += services.scheme_products_import(actor=SYSTEM, scheme=scheme, text=text).added
    return added
