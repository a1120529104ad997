"""Other manufacturers' labelling schemes as data (pure).

A scheme is a row in the registry: a name, a regular expression with a named group
``serial`` (and optionally ``gtin`` or ``product``, ``batch``, ``expiry`` as YYMMDD), and an
optional literal prefix. A string that matches becomes ``CodeKind.OTHER`` with the key
``<name>:<serial>``, or ``<name>:<product>/<serial>`` when the scheme names the product (a
serial is often unique only within its product). A new labelling standard is thus added
without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from salamat.codes.checkdigit import has_valid_check_digit
from salamat.codes.gs1 import gs1_date
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.core.i18n import gettext as _

_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,39}")
# Names that would collide with the built-in key forms.
_RESERVED = frozenset({"sticker", "urn", "http", "https", "gs1", "sgtin", "sscc"})


@dataclass(frozen=True)
class SchemeSpec:
    """A manufacturer's non-GS1 code scheme: `pattern` must match the whole code (after `prefix`)."""

    name: str
    pattern: str
    prefix: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or self.name in _RESERVED:
            raise ValueError(f"bad scheme name {self.name!r}: lower-case letters, digits, _ . -")
        regex = re.compile(self.pattern)
        if "serial" not in regex.groupindex:
            raise ValueError(f"scheme {self.name!r}: the pattern needs a named group 'serial'")
        object.__setattr__(self, "regex", regex)

    def match(self, s: str, raw: str) -> ParsedCode | None:
        """The ParsedCode when `s` is a code of this scheme, None when it is not;
        CodeError when it is one but its GTIN, serial or date is wrong."""
        if self.prefix:
            if not s.startswith(self.prefix):
                return None
            s = s[len(self.prefix) :]
        m = self.regex.fullmatch(s)
        if m is None:
            return None
        groups = m.groupdict()
        serial = groups.get("serial") or ""
        if not serial:
            raise CodeError("bad_serial", _("The code has an empty serial number."), raw=raw)
        gtin = groups.get("gtin")
        if gtin is not None:
            if not (gtin.isascii() and gtin.isdigit() and len(gtin) in (8, 12, 13, 14)):
                raise CodeError("bad_gtin", _("The GTIN must have 14 digits."), raw=raw)
            if not has_valid_check_digit(gtin):
                raise CodeError("bad_check_digit", _("The check digit of the GTIN is wrong."), raw=raw)
            gtin = gtin.zfill(14)
        product = gtin or groups.get("product")
        expiry = None
        if groups.get("expiry"):
            try:
                expiry = gs1_date(groups["expiry"])
            except ValueError:
                raise CodeError("bad_date", _("The date is not a valid calendar date."), raw=raw) from None
        value = f"{product}/{serial}" if product else serial
        return ParsedCode(
            kind=CodeKind.OTHER,
            key=f"{self.name}:{value}",
            gtin=gtin,
            serial=serial,
            batch=groups.get("batch") or None,
            expiry=expiry,
            scheme=self.name,
            extra={"product": product} if product and not gtin else {},
            raw=raw,
            source="scheme",
        )
