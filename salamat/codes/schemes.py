"""Labelling schemes other than GS1 as data (pure).

A scheme is a row in the registry (`salamat.registry.models.LabellingScheme`) compiled into a
`SchemeSpec`. It says how to recognise a code and take out its parts — ``product`` (the scheme's
own product code), ``serial``, ``batch``, ``expiry`` — and which check-digit algorithm guards
which part:

* kind ``pattern``: a regular expression matched against the whole code (after a literal
  ``prefix`` when one is given), with named groups for the parts. Backreferences, lookaround
  and nested unbounded repeats are refused here (`slowness`); the registry also times the
  pattern on long adversarial input before saving it (`salamat.codes.scheme_check`).
* kind ``envelope``: an ISO/IEC 15434 format-06 envelope whose ASC MH10.8.2 data identifiers
  carry the parts (``fields``: part -> DI); ``prefix`` is then the literal start of the product
  value (e.g. ``11`` for an IFA PPN), so that several envelope schemes can share a DI.

A code of a scheme has the key ``<scheme>:<product>/<serial>`` (``<scheme>:<serial>`` when the
scheme names no product): a serial is often unique only within its product. The key itself
and the URI ``https://<any host>/id/<scheme>/<product>/<serial>`` (`scheme_uri`) parse back to
the same key. When the scheme names products, ``products`` maps each product code to its
registry product (GTIN-14 or "", external id); a code whose product is not mapped is refused.

Which schemes are active is asked of a *provider* (`set_provider`): the registry installs one
that re-reads the table when it changes, so this module never imports Django.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from salamat.codes.checkdigit import ALGORITHMS, has_valid_check_digit
from salamat.codes.gs1 import gs1_date
from salamat.codes.model import CodeError, CodeKind, new_parsed
from salamat.core.i18n import gettext as _

NAME = re.compile(r"[a-z][a-z0-9_.-]{0,39}")
# Names that would collide with the built-in key forms.
_RESERVED = frozenset({"sticker", "urn", "http", "https", "gs1", "sgtin", "sscc", "id"})
KINDS = ("pattern", "envelope")
PARTS = ("product", "serial", "batch", "expiry")
_IDENTITY = frozenset({*PARTS, "gtin"})
EXPIRY_FORMATS = ("YYMMDD", "YYYYMMDD")
MAX_PART = 64  # characters of a product code or serial (keys stay short)
_DI = re.compile(r"[0-9]{0,3}[A-Z]")
_SAFE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space: what a key and a URI segment hold


class ProductRef(NamedTuple):
    """The registry product a scheme's product code maps to."""

    gtin: str  # its GTIN-14, or "" when it has none
    product_id: str  # its external id (UUID as text)


class SchemeDefinitionError(ValueError):
    """A scheme definition that cannot be compiled; `.code` is the stable refusal."""

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


_MAXREPEAT = re._constants.MAXREPEAT  # type: ignore[attr-defined]
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_UNSAFE = {"GROUPREF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT"}


def slowness(regex: re.Pattern[str]) -> str | None:
    """Why matching `regex` could take exponential time on long input, or None: it uses
    backreferences or lookaround, or it nests one unbounded repeat in another (``(a+)+``)."""

    def walk(items, repeated: bool) -> str | None:
        for op, av in items:
            name = str(op)
            if name in _UNSAFE:
                return "The pattern uses backreferences or lookaround, which can take exponential time."
            if name in _REPEATS:
                low, high, sub = av
                unbounded = high == _MAXREPEAT
                if unbounded and repeated:
                    return "The pattern repeats a repeat without bound (like (a+)+), which can take exponential time."
                found = walk(sub, repeated or unbounded)
            elif name == "SUBPATTERN":
                found = walk(av[-1], repeated)
            elif name == "BRANCH":
                found = next((w for w in (walk(b, repeated) for b in av[1]) if w), None)
            else:
                found = None
            if found:
                return found
        return None

    return walk(re._parser.parse(regex.pattern), False)  # type: ignore[attr-defined]


def _width(pattern: str) -> tuple[int, int]:
    """(shortest, longest) string the pattern can match (longest capped at 10**6)."""
    low, high = re._parser.parse(pattern).getwidth()  # type: ignore[attr-defined]
    return low, min(high, 10**6)


@dataclass(frozen=True, eq=False)
class SchemeSpec:
    """A labelling scheme compiled for the parser (see the module docstring)."""

    name: str
    pattern: str = ""
    prefix: str | None = None
    kind: str = "pattern"
    fields: Mapping[str, str] = field(default_factory=dict)  # envelope: part -> data identifier
    checks: Mapping[str, str] = field(default_factory=dict)  # part -> check-digit algorithm
    expiry_format: str = "YYMMDD"
    products: Mapping[str, ProductRef] | None = None  # None: products are not mapped (pure tests)
    regex: Any = field(init=False, repr=False)
    parts: frozenset[str] = field(init=False, repr=False)
    width: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or self.name in _RESERVED:
            raise SchemeDefinitionError(
                "bad_scheme_code", f"bad scheme name {self.name!r}: lower-case letters, digits, _ . -"
            )
        if self.kind not in KINDS:
            raise SchemeDefinitionError("bad_scheme_kind", f"kind must be one of {KINDS}")
        if self.expiry_format not in EXPIRY_FORMATS:
            raise SchemeDefinitionError("bad_expiry_format", f"expiry format must be one of {EXPIRY_FORMATS}")
        if self.prefix is not None and self.prefix != "" and not _SAFE.fullmatch(self.prefix):
            raise SchemeDefinitionError(
                "bad_prefix", "the prefix must be printable characters without spaces"
            )
        if self.kind == "pattern":
            parts, regex, width = self._compile_pattern()
        else:
            parts, regex, width = self._compile_envelope()
        for part, algorithm in self.checks.items():
            if algorithm not in ALGORITHMS:
                raise SchemeDefinitionError(
                    "bad_check_algorithm", f"unknown check-digit algorithm {algorithm!r}"
                )
            if part not in parts and part != "gtin":
                raise SchemeDefinitionError(
                    "bad_check_part", f"the check on {part!r} guards no part of the code"
                )
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "parts", frozenset(parts))
        object.__setattr__(self, "width", width)

    def _compile_pattern(self) -> tuple[set[str], Any, tuple[int, int]]:
        try:
            python = re.compile(self.pattern)
        except re.error as exc:
            raise SchemeDefinitionError(
                "bad_pattern", f"the pattern is not a regular expression: {exc}"
            ) from None
        groups = set(python.groupindex)
        if "serial" not in groups:
            raise SchemeDefinitionError(
                "pattern_without_serial", f"scheme {self.name!r}: the pattern needs a named group 'serial'"
            )
        if slowness(python) is not None:
            raise SchemeDefinitionError("slow_pattern", slowness(python) or "")
        regex = python
        low, high = _width(self.pattern)
        prefix = len(self.prefix or "")
        return groups & {*PARTS, "gtin"}, regex, (low + prefix, high + prefix)

    def _compile_envelope(self) -> tuple[set[str], None, tuple[int, int]]:
        if "serial" not in self.fields:
            raise SchemeDefinitionError(
                "pattern_without_serial", f"scheme {self.name!r}: name the data identifier of the serial"
            )
        for part, di in self.fields.items():
            if part not in PARTS or not _DI.fullmatch(di):
                raise SchemeDefinitionError("bad_field", f"bad field {part!r} -> {di!r}")
        if len(set(self.fields.values())) != len(self.fields):
            raise SchemeDefinitionError("bad_field", "two parts read the same data identifier")
        return set(self.fields), None, (0, 10**6)

    # --- reading a code ------------------------------------------------------------------------

    def match(self, s: str, raw: str):
        """The ParsedCode when `s` is a code of this pattern scheme, None when it is not;
        CodeError when it is one but a part is wrong."""
        if self.prefix:
            if not s.startswith(self.prefix):
                return None
            s = s[len(self.prefix) :]
        m = self.regex.fullmatch(s)
        if m is None:
            return None
        return self.build(m.groupdict(), raw, "scheme")

    def match_envelope(self, values: Mapping[str, str], raw: str):
        """The ParsedCode when the envelope's fields (DI -> value) are this scheme's, else None."""
        product_di = self.fields.get("product")
        if product_di is not None:
            product = values.get(product_di)
            if product is None or (self.prefix and not product.startswith(self.prefix)):
                return None
        elif self.fields["serial"] not in values:
            return None
        return self.build({part: values.get(di) for part, di in self.fields.items()}, raw, "envelope")

    def build(self, groups: Mapping[str, str | None], raw: str, source: str):
        """The ParsedCode of a code of this scheme from its parts, every check done."""
        serial = groups.get("serial") or ""
        if not serial:
            raise CodeError(
                "missing_serial", _("The code has no serial number."), raw=raw, details={"scheme": self.name}
            )
        if len(serial) > MAX_PART or not _SAFE.fullmatch(serial):
            raise CodeError(
                "bad_serial",
                _("The serial number holds characters that are not allowed."),
                raw=raw,
                details={"scheme": self.name},
            )
        for part, algorithm in self.checks.items():
            value = groups.get(part)
            # A mapped product code was checked when the mapping was uploaded.
            if part == "product" and self.products and value in self.products:
                continue
            if value and not ALGORITHMS[algorithm].is_valid(value):
                raise CodeError(
                    "bad_check_digit",
                    _("The check digit of the %(part)s is wrong.") % {"part": _part_label(part)},
                    raw=raw,
                    details={"scheme": self.name, "part": part},
                )
        gtin = groups.get("gtin")
        if gtin is not None:
            if not (gtin.isascii() and gtin.isdigit() and len(gtin) in (8, 12, 13, 14)):
                raise CodeError("bad_gtin", _("The GTIN must have 14 digits."), raw=raw)
            if not has_valid_check_digit(gtin):
                raise CodeError("bad_check_digit", _("The check digit of the GTIN is wrong."), raw=raw)
            gtin = gtin.zfill(14)
        product = groups.get("product") or None
        # Named groups that are no part (a tail of verification digits…) are kept as data.
        extra: dict[str, str] = {k: v for k, v in groups.items() if v and k not in _IDENTITY}
        if product is not None:
            if len(product) > MAX_PART or not _SAFE.fullmatch(product) or "/" in product:
                raise CodeError(
                    "bad_product_code",
                    _("The product code holds characters that are not allowed."),
                    raw=raw,
                    details={"scheme": self.name},
                )
            extra["product"] = product
            if self.products is not None and gtin is None:
                ref = self.products.get(product)
                if ref is None:
                    raise CodeError(
                        "product_not_mapped",
                        _(
                            "The product code %(product)s of scheme %(scheme)s is mapped to no registered product."
                        )
                        % {"product": product, "scheme": self.name},
                        raw=raw,
                        details={"scheme": self.name, "product": product},
                    )
                gtin = ref.gtin or None
                extra["product_id"] = ref.product_id
        expiry = None
        text = groups.get("expiry")
        if text:
            try:
                expiry = parse_expiry(text, self.expiry_format)
            except ValueError:
                raise CodeError("bad_date", _("The date is not a valid calendar date."), raw=raw) from None
        ident = product or gtin
        return new_parsed(
            kind=CodeKind.OTHER,
            key=f"{self.name}:{ident}/{serial}" if ident else f"{self.name}:{serial}",
            gtin=gtin,
            serial=serial,
            batch=groups.get("batch") or None,
            expiry=expiry,
            scheme=self.name,
            extra=extra,
            raw=raw,
            source=source,
        )

    def from_key(self, value: str, raw: str, source: str):
        """The ParsedCode of the value part of a key (``<product>/<serial>`` or ``<serial>``)."""
        if self._names_product():
            product, slash, serial = value.partition("/")
            if not slash:
                raise CodeError("missing_serial", _("The code has no serial number."), raw=raw)
            part = "gtin" if "gtin" in self.parts and "product" not in self.parts else "product"
            return self.build({part: product, "serial": serial}, raw, source)
        return self.build({"serial": value}, raw, source)

    def _names_product(self) -> bool:
        return "product" in self.parts or "gtin" in self.parts


def _part_label(part: str) -> str:
    return {
        "product": _("product code"),
        "serial": _("serial number"),
        "batch": _("batch"),
        "expiry": _("expiry date"),
        "gtin": _("GTIN"),
    }.get(part, part)


def parse_expiry(text: str, fmt: str) -> date:
    """YYMMDD (GS1 rules: day 00 is the month's last day) or YYYYMMDD (likewise)."""
    if fmt == "YYMMDD":
        return gs1_date(text)
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if day == 0 and 1 <= month <= 12:
        day = calendar.monthrange(year, month)[1]
    return date(year, month, day)


# --- the active schemes, compiled for dispatch ------------------------------------------------


class SchemeSet:
    """Schemes compiled for the parser: prefixed patterns by prefix (a dict lookup per distinct
    prefix length), shape-only patterns by length, envelope schemes by DI, every one by name.

    `validated`: the registry checked that no scheme claims a GS1 or sticker code or another
    scheme's codes, so the parser may ask the schemes first (no slow GS1 fallback for them)."""

    def __init__(self, specs: Iterable[SchemeSpec], *, version: Any = None, validated: bool = False):
        self.specs = tuple(specs)
        self.version = version
        self.validated = validated
        self.by_name = {s.name: s for s in self.specs}
        self.prefixed: dict[str, list[SchemeSpec]] = {}
        self.shapes: list[SchemeSpec] = []
        self.envelopes: list[SchemeSpec] = []
        for spec in self.specs:
            if spec.kind == "envelope":
                self.envelopes.append(spec)
            elif spec.prefix:
                self.prefixed.setdefault(spec.prefix, []).append(spec)
            else:
                self.shapes.append(spec)
        self.shape_min = min((s.width[0] for s in self.shapes), default=1)
        self.shape_max = max((s.width[1] for s in self.shapes), default=0)
        self.prefix_lengths = tuple(sorted({len(p) for p in self.prefixed}, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.specs)

    def __iter__(self):
        return iter(self.specs)

    def claim(self, s: str, raw: str):
        """What a validated set reads before the standard parser: a prefixed code, a key, a URI,
        or a shape-only code; None (quickly) for anything else."""
        if self.prefix_lengths:
            found = self.by_prefix(s, raw)
            if found is not None:
                return found
        return self.forms(s, raw)

    def forms(self, s: str, raw: str):
        """A scheme's key, URI or shape-only code, or None."""
        if ":" in s[:42]:
            found = self.by_key(s, raw)
            if found is None and "/id/" in s:
                found = self.by_uri(s, raw)
            if found is not None:
                return found
        n = len(s)
        if n < self.shape_min or n > self.shape_max:
            return None
        return self.by_shape(s, raw)

    def by_prefix(self, s: str, raw: str):
        """The ParsedCode of a prefixed scheme that reads `s`, or None."""
        prefixed = self.prefixed
        for n in self.prefix_lengths:
            for spec in prefixed.get(s[:n], ()):
                found = spec.match(s, raw)
                if found is not None:
                    return found
        return None

    def by_shape(self, s: str, raw: str):
        """The ParsedCode of a shape-only scheme that reads `s`, or None."""
        n = len(s)
        if n < self.shape_min or n > self.shape_max:
            return None
        for spec in self.shapes:
            low, high = spec.width
            if low <= n <= high:
                found = spec.match(s, raw)
                if found is not None:
                    return found
        return None

    def by_envelope(self, values: Mapping[str, str], raw: str):
        for spec in self.envelopes:
            found = spec.match_envelope(values, raw)
            if found is not None:
                return found
        return None

    def by_key(self, s: str, raw: str):
        """``<scheme>:<value>`` of an active scheme → its ParsedCode; None when not a key."""
        colon = s.find(":", 1, 42)
        if colon < 0:
            return None
        spec = self.by_name.get(s[:colon])
        if spec is None:
            return None
        return spec.from_key(s[colon + 1 :], raw, "key")

    def by_uri(self, s: str, raw: str):
        """``http(s)://<host>/…/id/<scheme>/<value>`` of an active scheme → ParsedCode, else None."""
        parsed = uri_to_key(s)
        if parsed is None:
            return None
        name, value = parsed
        spec = self.by_name.get(name)
        if spec is None:
            return None
        return spec.from_key(value, raw, "uri")


EMPTY = SchemeSet(())


def scheme_uri(key: str, base_url: str) -> str | None:
    """The URI of a scheme key, ``<base_url>/id/<scheme>/<product>/<serial>`` (segments
    percent-encoded); None when `key` is no scheme key."""
    name, colon, value = key.partition(":")
    if not colon or not NAME.fullmatch(name) or name in _RESERVED:
        return None
    product, slash, serial = value.partition("/")
    segments = [name, product, serial] if slash else [name, value]
    return base_url.rstrip("/") + "/id/" + "/".join(quote(seg, safe="") for seg in segments)


def uri_to_key(s: str) -> tuple[str, str] | None:
    """(scheme, value) of a scheme URI on any host, or None when `s` is not one."""
    head = s[:8].lower()
    if not head.startswith(("https://", "http://")):
        return None
    rest = s.split("://", 1)[1].split("#", 1)[0].split("?", 1)[0]
    segments = rest.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    try:
        at = len(segments) - 1 - segments[::-1].index("id")
    except ValueError:
        return None
    tail = [unquote(seg) for seg in segments[at + 1 :]]
    if len(tail) == 2:
        return tail[0], tail[1]
    if len(tail) == 3:
        return tail[0], tail[1] + "/" + tail[2]
    return None


def scheme_uri_key(value: str) -> str | None:
    """The key a scheme URI on any host stands for (``https://h/id/acme/123/S1`` ->
    ``acme:123/S1``), or None: the host-independent form to match EPCIS identifiers on."""
    found = uri_to_key(value)
    if found is None or not NAME.fullmatch(found[0]) or found[0] in _RESERVED:
        return None
    return f"{found[0]}:{found[1]}"


# --- the provider -----------------------------------------------------------------------------

_provider: Callable[[], SchemeSet] | None = None


def set_provider(provider: Callable[[], SchemeSet] | None) -> None:
    """Installs the function that returns the active schemes (the registry does, at start-up)."""
    global _provider
    _provider = provider


def active() -> SchemeSet:
    """The active schemes (the provider's, which answers from its cache between version checks)."""
    provider = _provider
    return EMPTY if provider is None else provider()
