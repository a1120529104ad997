"""The labelling schemes the platform ships, switched on by default (pure).

The registry's data migration stores them as rows the regulator may change; these definitions
are what the migration wrote (a test keeps the two equal) and what the pure tests and the
benchmark use.
"""

from __future__ import annotations

from typing import Any

# IFA / securPharm: an ISO/IEC 15434 format-06 envelope. The PPN ("11" + PZN + two check
# digits, IFA mod 97) in DI 9N, the serial in S, the batch in 1T, the expiry in D as YYMMDD
# (day 00: the last day of the month).
IFA: dict[str, Any] = {
    "code": "ifa",
    "name_ru": "IFA / securPharm (PPN)",
    "name_ky": "IFA / securPharm (PPN)",
    "name_en": "IFA / securPharm (PPN)",
    "kind": "envelope",
    "prefix": "11",
    "pattern": "",
    "fields": {"product": "9N", "serial": "S", "batch": "1T", "expiry": "D"},
    "checks": {"product": "ifa_ppn_mod97"},
    "expiry_format": "YYMMDD",
}

# China's drug traceability code: 20 digits, a 7-digit product code (it starts with 8), a
# 9-digit serial and 4 further digits (kept as data, not identity).
CN_DRUG: dict[str, Any] = {
    "code": "cn-drug",
    "name_ru": "Код прослеживаемости лекарств КНР (20 цифр)",
    "name_ky": "КЭР дары-дармектерин көзөмөлдөө коду (20 сан)",
    "name_en": "China drug traceability code (20 digits)",
    "kind": "pattern",
    "prefix": "",
    "pattern": r"(?P<product>8[0-9]{6})(?P<serial>[0-9]{9})(?P<tail>[0-9]{4})",
    "fields": {},
    "checks": {},
    "expiry_format": "YYMMDD",
}

SHIPPED = (IFA, CN_DRUG)


def spec_of(row: dict[str, Any], products=None):
    """The SchemeSpec of a definition dict (the registry's row fields)."""
    from salamat.codes.schemes import SchemeSpec

    return SchemeSpec(
        row["code"],
        row.get("pattern") or "",
        prefix=row.get("prefix") or None,
        kind=row["kind"],
        fields=dict(row.get("fields") or {}),
        checks=dict(row.get("checks") or {}),
        expiry_format=row.get("expiry_format") or "YYMMDD",
        products=products,
    )
