"""The GS1 EPCIS event hash ID (CBV 2.0 §8.9; pure: no Django).

`ni:///sha-256;<hex>?ver=CBV2.0` of a canonical *pre-hash string*, built as the CBV 2.0
algorithm and GS1's reference implementation (github.com/RalphTro/epcis-event-hash-generator,
"CBV2.0" profile) build it, so that the hashes we fill into missing `eventID`s are the ones any
other conforming implementation computes for the same event:

1. ``eventType=…``, then the standard fields in the canonical property order (`ORDER`), each
   as ``name=value``; a structured field as its name followed by its members in their own
   order; several elements of one field (the EPCs of a list, the quantity elements, the
   sensor elements and reports, …) each rendered and then sorted lexically (by code point).
2. Business transactions, sources and destinations as ``type=…`` + ``bizTransaction=…`` pairs
   (type first), the pairs sorted.
3. Then the ILMD (``ilmd`` + its members sorted), then the user extensions found *inside* standard
   fields (``readPoint{ns}x=…``, ``sensorElementsensorReport{ns}y=…``: CBV 2.0 moves them to
   the end, prefixed with the path of standard field names), then the event-level user
   extensions, sorted. A user extension is written ``{namespace}localName=value``, nested ones
   as the parent's key followed by its sorted members; the same key repeated (a JSON array, a
   repeated XML element) gives one entry per value.
4. Values: leading/trailing space trimmed; times (standard fields whose name contains "time")
   in UTC with millisecond precision (half-up) and a ``Z``; numbers without trailing zeros;
   CBV values as Web vocabulary URIs (``https://ref.gs1.org/cbv/BizStep-shipping``), sensor
   measurement types as ``https://ref.gs1.org/voc/Temperature``, ``gs1:``/``cbv:`` CURIEs
   expanded; EPC, EPC class and EPC pattern URNs and GS1 Digital Link URIs as *constrained
   canonical* Digital Link URIs (``https://id.gs1.org``, no query string, only the most
   fine-grained key qualifiers).
5. Not hashed: `eventID`, `recordTime`, `errorDeclaration`, `certificationInfo` (they describe
   the record, not the event) and JSON-LD comments.

Events come in the JSON-LD shape (XML is converted to it first, see `xmlconv`), in the compact
form of the stored event (bare CBV names) or not: the same event captured as JSON or as XML gets
the same hash. Known differences from the reference implementation are listed in docs/epcis.md
("Event hash").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from salamat.epcis.vocab import (
    CBV_PREFIXES,
    DL_HOST,
    EPC_LIST_FIELDS,
    QUANTITY_LIST_FIELDS,
    SENSOR_VALUE_PREFIXES,
    with_check_digit,
)

CBV_VERSION = "CBV2.0"
CBV_WEB = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://ref.gs1.org/voc/"

# Prefixes every EPCIS 2.0 document may use without defining them (the standard context),
# as the reference binds them. `cbvmda` is the XML namespace (no trailing colon) so that JSON
# and XML master-data attributes in the ILMD give the same key.
WELL_KNOWN_PREFIXES = {
    "gs1": GS1_VOC,
    "cbv": CBV_WEB,
    "epcis": "https://ref.gs1.org/epcis/",
    "cbvmda": "urn:epcglobal:cbv:mda",
}
_VALUE_CURIES = ("https://ref.gs1.org", "https://gs1.org")  # CURIE values expanded only to GS1 vocabularies

# --- canonical property order ----------------------------------------------------------------

_QTY: list = [("epcClass", None), ("quantity", None), ("uom", None)]
_PAIR = "pair"  # bizTransaction/source/destination: (type, identifier) pairs
_SENSOR_METADATA: list = [(n, None) for n in (
    "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules",
)]  # fmt: skip
_SENSOR_REPORT: list = [(n, None) for n in (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
    "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
    "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
    "uom", "coordinateReferenceSystem",
)]  # fmt: skip
ORDER: list = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("epcList", [("epc", None)]),
    ("parentID", None),
    ("inputEPCList", [("epc", None)]),
    ("childEPCs", [("epc", None)]),
    ("quantityList", [("quantityElement", _QTY)]),
    ("childQuantityList", [("quantityElement", _QTY)]),
    ("inputQuantityList", [("quantityElement", _QTY)]),
    ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", [("quantityElement", _QTY)]),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    ("bizTransactionList", _PAIR),
    ("sourceList", _PAIR),
    ("destinationList", _PAIR),
    ("sensorElementList", [("sensorElement", [("sensorMetadata", _SENSOR_METADATA),
                                              ("sensorReport", _SENSOR_REPORT)])]),
]  # fmt: skip
COMMENTS = frozenset({"rdfs:comment", "comment"})  # JSON-LD annotations, at any depth
NOT_HASHED = (
    frozenset({"type", "eventID", "recordTime", "errorDeclaration", "certificationInfo", "@context"})
    | COMMENTS
)
# CBV 2.0 writes no "sensorElementList" wrapper: the elements stand for themselves.
_UNNAMED = frozenset({"sensorElementList"})

_EPC_LISTS = EPC_LIST_FIELDS
_QUANTITY_LISTS = QUANTITY_LIST_FIELDS
_PAIR_LISTS = {
    "bizTransactionList": "bizTransaction",
    "sourceList": "source",
    "destinationList": "destination",
}

# Bare CBV / GS1 Web vocabulary names, by where they stand, and the URI prefix they expand to.
_CBV_FIELDS = {kind: CBV_PREFIXES[kind][1] for kind in ("bizStep", "disposition")}
_PAIR_TYPES = {
    "bizTransaction": CBV_PREFIXES["btt"][1],
    "source": CBV_PREFIXES["sdt"][1],
    "destination": CBV_PREFIXES["sdt"][1],
}
_URN_VOCABULARY = tuple(CBV_PREFIXES.values())  # (URN prefix, Web prefix) of the same names


@dataclass
class _Node:
    """One element of the event as a tree: a name, a text value, child elements."""

    name: str
    text: str = ""
    children: list[_Node] = field(default_factory=list)


# --- value canonicalisation ------------------------------------------------------------------


def utc_millis(value: str) -> str:
    """An ISO 8601 time in UTC at millisecond precision (rounded half-up) with a ``Z``."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    millis = (moment.microsecond + 500) // 1000  # half-up, in integers
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=millis)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(text: str) -> str:
    """Numbers without trailing zeros (``1.0`` -> ``1``, ``23.50`` -> ``23.5``); other text as it is."""
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if not number.is_finite():
        return text
    if number == number.to_integral_value():
        return str(number.to_integral_value())
    return format(number.normalize(), "f")


@functools.lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    """A value as the pre-hash string writes it (times excepted: see `utc_millis`). Cached: the
    identifiers, locations and vocabulary of a document repeat from event to event."""
    if text.startswith(_DL_CANONICAL_START) and "?" not in text and "#" not in text and _DL_VALID.match(text):
        # Already a constrained canonical Digital Link (most EPCs, each new in its document): what
        # follows would leave it as it is (no URN, not a number, nothing to shorten or drop).
        return text
    for urn, web in _URN_VOCABULARY:
        text = text.replace(urn, web)
    text = _number(text)
    return digital_link(text) or text


# --- EPC URNs and GS1 Digital Link URIs -> constrained canonical Digital Link ------------------

_DL_HOST = DL_HOST
_DL_CANONICAL_START = "https://id.gs1.org/"
# A character of a GS1 AI-encodable serial in an EPC URI (plain or %-escaped), TDS 2.0 §6.3.
_CH = r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])"
_CPI_CH = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"


def _pct(text: str) -> str:
    """Percent-encode what a Digital Link path may not carry but an EPC URI may."""
    for ch, enc in (("!", "%21"), ("(", "%28"), (")", "%29"), ("*", "%2A"), ("+", "%2B"), (",", "%2C"),
                    (":", "%3A")):  # fmt: skip
        text = text.replace(ch, enc)
    return text


def _split(cp: str, rest: str, total: int) -> tuple[str, str]:
    """(reference digits, what follows) when company prefix + reference make `total` digits."""
    n = total - len(cp)
    return rest[:n], rest[n:]


def _gtin(cp: str, item: str) -> str:
    return with_check_digit(item[:1] + cp + item[1:])


def _d(n: int) -> str:
    """A regular expression for exactly `n` digits."""
    return r"\d{" + str(n) + "}"


def _c(cls: str, low: int, high: int) -> str:
    """A regular expression for `low` to `high` characters of a class."""
    return cls + "{" + f"{low},{high}" + "}"


def _urn_to_digital_link(uri: str) -> str | None:
    m = re.match(r"^urn:epc:(id|class|idpat):([a-z]+):(\d{6,12})\.(.*)$", uri)
    if not m:
        return None
    kind, scheme, cp, rest = m.groups()
    n12, n13 = 12 - len(cp), 13 - len(cp)  # the digits that make a 12/13-digit key with the prefix
    if kind == "id":
        if scheme in ("sgtin", "upui") and re.fullmatch(
            _d(n13) + r"\." + _c(_CH, 1, 20 if scheme == "sgtin" else 28), rest
        ):
            item, serial = rest.split(".", 1)
            qualifier = "21" if scheme == "sgtin" else "235"
            return f"{_DL_HOST}/01/{_gtin(cp, item)}/{qualifier}/{_pct(serial)}"
        if scheme == "sscc" and re.fullmatch(_d(17 - len(cp)), rest):
            return f"{_DL_HOST}/00/{with_check_digit(rest[0] + cp + rest[1:])}"
        if scheme == "sgln" and re.fullmatch(_d(n12) + r"\." + _c(_CH, 1, 20), rest):
            loc, ext = rest.split(".", 1)
            gln = with_check_digit(cp + loc)
            return f"{_DL_HOST}/414/{gln}" + ("" if ext == "0" else f"/254/{_pct(ext)}")
        if scheme == "pgln" and re.fullmatch(_d(n12), rest):
            return f"{_DL_HOST}/417/{with_check_digit(cp + rest)}"
        if scheme == "grai" and re.fullmatch(_d(n12) + r"\." + _c(_CH, 1, 16), rest):
            asset, serial = rest.split(".", 1)
            return f"{_DL_HOST}/8003/{with_check_digit('0' + cp + asset)}{_pct(serial)}"
        if scheme in ("giai", "ginc") and re.fullmatch(_c(_CH, 1, 30 - len(cp)), rest):
            return f"{_DL_HOST}/{'8004' if scheme == 'giai' else '401'}/{cp}{_pct(rest)}"
        if scheme in ("gsrn", "gsrnp") and re.fullmatch(_d(17 - len(cp)), rest):
            return f"{_DL_HOST}/{'8018' if scheme == 'gsrn' else '8017'}/{with_check_digit(cp + rest)}"
        if scheme == "gsin" and re.fullmatch(_d(16 - len(cp)), rest):
            return f"{_DL_HOST}/402/{with_check_digit(cp + rest)}"
        if scheme == "gdti" and re.fullmatch(_d(n12) + r"\." + _c(_CH, 0, 19), rest):
            doc, serial = rest.split(".", 1)
            return f"{_DL_HOST}/253/{with_check_digit(cp + doc)}{_pct(serial)}"
        if scheme == "sgcn" and re.fullmatch(_d(n12) + r"\.\d{1,12}", rest):
            coupon, serial = rest.split(".", 1)
            return f"{_DL_HOST}/255/{with_check_digit(cp + coupon)}{serial}"
        if scheme == "cpi" and re.fullmatch(_c(_CPI_CH, 1, 30 - len(cp)) + r"\.\d{1,12}", rest):
            ref, serial = rest.rsplit(".", 1)
            return f"{_DL_HOST}/8010/{_pct(cp + ref)}/8011/{serial}"
        if scheme == "itip" and re.fullmatch(_d(n13) + r"\.\d{2}\.\d{2}\." + _c(_CH, 1, 20), rest):
            item, piece, total, serial = rest.split(".", 3)
            return f"{_DL_HOST}/8006/{_gtin(cp, item)}{piece}{total}/21/{_pct(serial)}"
        return None
    if kind == "class":
        if scheme == "lgtin" and re.fullmatch(_d(n13) + r"\." + _c(_CH, 1, 20), rest):
            item, lot = rest.split(".", 1)
            return f"{_DL_HOST}/01/{_gtin(cp, item)}/10/{_pct(lot)}"
        return None
    # EPC pattern URIs that stand for a whole class (all serials of one key)
    if scheme in ("sgtin", "upui") and re.fullmatch(_d(n13) + r"\.\*", rest):
        return f"{_DL_HOST}/01/{_gtin(cp, rest[:-2])}"
    if scheme == "grai" and re.fullmatch(_d(n12) + r"\.\*", rest):
        return f"{_DL_HOST}/8003/{with_check_digit('0' + cp + rest[:-2])}"
    if scheme in ("gdti", "sgcn") and re.fullmatch(_d(n12) + r"\.\*", rest):
        return f"{_DL_HOST}/{'253' if scheme == 'gdti' else '255'}/{with_check_digit(cp + rest[:-2])}"
    if scheme == "cpi" and re.fullmatch(_c(_CPI_CH, 1, 30 - len(cp)) + r"\.\*", rest):
        return f"{_DL_HOST}/8010/{_pct(cp + rest[:-2])}"
    if scheme == "itip" and re.fullmatch(_d(n13) + r"\.\d{2}\.\d{2}\.\*", rest):
        item, piece, total, _star = rest.split(".")
        return f"{_DL_HOST}/8006/{_gtin(cp, item)}{piece}{total}"
    return None


_DL_KEYS = ("01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc"
            "|402|gsin|8003|grai|8004|giai")  # fmt: skip
_DL_SHAPE = re.compile(r"^https?://[^/?#]*(?:/[^?#]*)?/(?:" + _DL_KEYS + r")/\d{4}[^/]+")
_DL_SHORT_NAMES = (("gtin", "01"), ("itip", "8006"), ("cpid", "8010"), ("gln", "414"), ("party", "417"),
                   ("gsrnp", "8017"), ("gsrn", "8018"), ("gcn", "255"), ("sscc", "00"), ("gdti", "253"),
                   ("ginc", "401"), ("gsin", "402"), ("grai", "8003"), ("giai", "8004"), ("cpv", "22"),
                   ("lot", "10"), ("ser", "21"))  # fmt: skip
_DL_PRIMARY = (
    "00",
    "01",
    "253",
    "255",
    "401",
    "402",
    "414",
    "417",
    "8003",
    "8004",
    "8006",
    "8010",
    "8017",
    "8018",
)
_X = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"  # GS1 AI encodable set 82 less '%', '/', ...
_DL_VALID = re.compile(
    r"^https://id\.gs1\.org/(?:"
    rf"00/\d{{18}}|01/\d{{14}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}}|/235/{_X}{{0,28}})?|253/\d{{13}}{_X}{{0,17}}"
    rf"|255/\d{{13}}\d{{0,12}}|401/{_X}{{0,30}}|402/\d{{17}}|414/\d{{13}}(?:/254/{_X}{{0,20}})?|417/\d{{13}}"
    rf"|8003/\d{{14}}{_X}{{0,16}}|8004/{_X}{{0,30}}|8006/\d{{18}}(?:/21/{_X}{{0,20}}|/10/{_X}{{0,20}})?"
    r"|8010/[#\-/0-9A-Z]{0,30}(?:/8011/\d{0,12})?|8017/\d{18}|8018/\d{18})$"
)


def _web_to_digital_link(uri: str) -> str | None:
    if not _DL_SHAPE.match(uri):
        return None
    uri = uri.split("?", 1)[0].split("#", 1)[0]
    for name, ai in _DL_SHORT_NAMES:
        uri = uri.replace(f"/{name}/", f"/{ai}/")
    if not re.match(r"^https://id\.gs1\.org/(?:" + "|".join(_DL_PRIMARY) + r")/\d{4}", uri):
        for ai in _DL_PRIMARY:  # another host, or a path before the key: the key and what follows
            at = uri.find(f"/{ai}/")
            if at != -1:
                uri = _DL_HOST + uri[at:]
                break
    m = re.match(r"^(https://id\.gs1\.org/01/)(\d{8}|\d{12,14})(?=/|$)", uri)
    if m:
        uri = m.group(1) + m.group(2).zfill(14) + uri[m.end() :]
    # Only the most fine-grained level: no consumer product variant, no lot next to a serial.
    uri = re.sub(r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/22/" + _X + r"{0,20}(?=/|$)", r"\1", uri)
    uri = re.sub(
        r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/10/" + _X + r"{0,20}(?=/21/)", r"\1", uri
    )
    return uri if _DL_VALID.match(uri) else None


def digital_link(value: str) -> str | None:
    """The constrained canonical GS1 Digital Link URI of an EPC (class, pattern) URN or a Digital
    Link URI on any host, or None when the value is neither (or not a valid one)."""
    if "." not in value:
        return None
    if value.startswith("urn:epc:"):
        return _urn_to_digital_link(value)
    if value.startswith(("http://", "https://")):
        return _web_to_digital_link(value)
    return None


# --- the event as a tree ---------------------------------------------------------------------


class _Builder:
    """The event as a tree of elements, the one model both its JSON and its XML form map to:
    lists as a wrapper with one child per member, keys of user extensions as `{namespace}local`,
    bare vocabulary names of standard fields expanded."""

    def __init__(self, context: dict[str, str] | None) -> None:
        self.prefixes = {**WELL_KNOWN_PREFIXES, **(context or {})}
        self.prefixes["gs1"] = GS1_VOC  # the reference binds gs1 to the current vocabulary host

    def key(self, name: str) -> str:
        prefix, sep, local = name.partition(":")
        if sep and prefix in self.prefixes:
            return "{" + self.prefixes[prefix] + "}" + local
        return name

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        prefix, sep, local = text.partition(":")
        if sep and prefix in self.prefixes and self.prefixes[prefix].startswith(_VALUE_CURIES):
            return self.prefixes[prefix] + local
        return text

    def generic(self, name: str, value: Any) -> list[_Node]:
        """A member of no special shape: one node per value (arrays repeat the key)."""
        key = self.key(name)
        if isinstance(value, list):
            return [n for v in value for n in self.generic(name, v)]
        if isinstance(value, dict):
            # XML attributes kept as `@name` members are not hashed (the XML hashes like its JSON
            # twin); an element's text beside them is `@value`.
            children = [
                n
                for k, v in value.items()
                if k not in COMMENTS and not k.startswith("@")
                for n in self.generic(k, v)
            ]
            text = self.text(value["@value"]) if "@value" in value and not children else ""
            return [_Node(key, text, children)]
        return [_Node(key, self.text(value))]

    def vocabulary(self, value: Any, prefix: str) -> str:
        """A bare CBV / Web vocabulary name expanded; any URI or CURIE as `text` gives it."""
        text = self.text(value)
        return prefix + text if text and ":" not in text else text

    def sensor_report(self, report: dict) -> _Node:
        children = []
        for k, v in report.items():
            if k in SENSOR_VALUE_PREFIXES:  # bare names expand to their Web vocabulary URI
                children.append(_Node(k, self.vocabulary(v, SENSOR_VALUE_PREFIXES[k][-1])))
            elif k not in COMMENTS:
                children.extend(self.generic(k, v))
        return _Node("sensorReport", "", children)

    def sensor_element(self, element: dict) -> _Node:
        children = []
        for k, v in element.items():
            if k == "sensorReport":
                children.extend(
                    self.sensor_report(r) for r in (v if isinstance(v, list) else [v]) if isinstance(r, dict)
                )
            elif k not in COMMENTS:
                children.extend(self.generic(k, v))
        return _Node("sensorElement", "", children)

    def member(self, name: str, value: Any) -> list[_Node]:
        if name in _EPC_LISTS:
            return [_Node(name, "", [_Node("epc", self.text(v)) for v in value or []])]
        if name in _QUANTITY_LISTS:
            return [_Node(name, "", [_Node("quantityElement", "", [n for k, v in q.items() for n in self.generic(k, v)])
                                     for q in value or [] if isinstance(q, dict)])]  # fmt: skip
        if name in _PAIR_LISTS:
            member = _PAIR_LISTS[name]
            pairs = []
            for entry in value or []:
                if not isinstance(entry, dict):
                    continue
                pair = []
                if entry.get("type") not in (None, ""):
                    pair.append(_Node("type", self.vocabulary(entry["type"], _PAIR_TYPES[member])))
                pair.append(_Node(member, self.text(entry.get(member))))
                pairs.append(_Node("", "", pair))
            return [_Node(name, "", pairs)]
        if name in _CBV_FIELDS:
            return [_Node(name, self.vocabulary(value, _CBV_FIELDS[name]))]
        if name == "persistentDisposition" and isinstance(value, dict):
            return [_Node(name, "", [_Node(k, self.vocabulary(v, _CBV_FIELDS["disposition"]))
                                     for k, vs in value.items() for v in (vs if isinstance(vs, list) else [vs])])]  # fmt: skip
        if name == "sensorElementList":
            return [_Node(name, "", [self.sensor_element(e) for e in value or [] if isinstance(e, dict)])]
        return self.generic(name, value)

    def event(self, event: dict) -> list[_Node]:
        return [n for k, v in event.items() if k not in NOT_HASHED for n in self.member(k, v)]


# --- the pre-hash string ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _is_time(name: str) -> bool:
    return "time" in name.lower() and "offset" not in name.lower()


def _generic_parts(nodes: list[_Node]) -> list[str]:
    """Each node as `name=value` + its own members (sorted), in the nodes' order."""
    parts = []
    for node in nodes:
        text = node.text.strip()
        parts.append(node.name + (f"={canonical_value(text)}" if text else "") + _generic(node.children))
    return parts


def _generic(nodes: list[_Node]) -> str:
    """Members of no prescribed order: each `name=value` + its own members, sorted."""
    return "".join(sorted(_generic_parts(nodes))) if nodes else ""


def _generic_in_order(nodes: list[_Node]) -> str:
    return "".join(n.name + (f"={canonical_value(n.text.strip())}" if n.text.strip() else "") for n in nodes)


def _one(node: _Node, order: Any) -> str:
    """One standard element: `name=value` and/or its members in `order` (nothing if empty)."""
    inner = ""
    if order == _PAIR:
        # type first, then the identifier; the pairs sorted
        inner = "".join(sorted(_generic_in_order(pair.children) for pair in node.children))
        node.children.clear()
    elif order:
        inner = _ordered(node.children, order)
    text = node.text.strip()
    if text:
        if _is_time(node.name):
            with contextlib.suppress(ValueError):  # not a time after all: as written
                text = utc_millis(text)
        else:
            text = canonical_value(text)
    if not text and not inner:
        return ""
    return ("" if node.name in _UNNAMED else node.name) + (f"={text}" if text else "") + inner


_ORDER_INDEX: dict[int, tuple[list, dict[str, tuple[int, Any]]]] = {}


def _index(order: list) -> dict[str, tuple[int, Any]]:
    """Name -> (place, what its members follow) of an order (the module's constant lists)."""
    found = _ORDER_INDEX.get(id(order))
    if found is None or found[0] is not order:
        index = {name: (i, sub) for i, (name, sub) in enumerate(order)}
        assert len(index) == len(order), "an order names each member once"
        found = _ORDER_INDEX[id(order)] = (order, index)
    return found[1]


def _ordered(nodes: list[_Node], order: list) -> str:
    """The members named in `order`, in that order (several of one name sorted); what they
    consumed entirely is removed from `nodes`, so what is left are user extensions."""
    index = _index(order)
    groups: dict[int, list[_Node]] = {}
    for node in nodes:
        found = index.get(node.name)
        if found is not None:
            groups.setdefault(found[0], []).append(node)
    if not groups:
        return ""
    out = []
    consumed: set[int] = set()
    for place in sorted(groups):
        sub = order[place][1]
        values = []
        for node in groups[place]:
            text = _one(node, sub)
            if text:
                values.append(text)
            if not node.children:
                consumed.add(id(node))
        out.extend(sorted(values))
    if consumed:
        nodes[:] = [n for n in nodes if id(n) not in consumed]
    return "".join(out)


def _is_extension(node: _Node) -> bool:
    return node.name.startswith("{")


def _field_extensions(nodes: list[_Node], order: list) -> str:
    """User extensions left inside standard fields, each after the path of field names to it."""
    parts = []
    for name, sub in order:
        if not isinstance(sub, list):
            continue
        for node in [n for n in nodes if n.name == name]:
            inner = _field_extensions(node.children, sub)
            if inner:
                parts.append(("" if name in _UNNAMED else name) + inner)
    direct = [n for n in nodes if _is_extension(n)]
    if direct:
        parts.append(_generic(direct))
    return "".join(parts)


def pre_hash_reference(event: dict, context: dict[str, str] | None = None) -> str:
    """The pre-hash string built from the whole event's tree at once: the plain statement of the
    algorithm, which `pre_hash` (member by member, cached) must equal (the tests compare them)."""
    nodes = _Builder(context).event(event)
    standard = _ordered(nodes, ORDER)
    ilmd = [n for n in nodes if n.name == "ilmd"]
    nodes = [n for n in nodes if n.name != "ilmd"]
    in_fields = []
    index = _index(ORDER)
    fields = sorted(
        (index[n.name][0], k)
        for k, n in enumerate(nodes)
        if isinstance(index.get(n.name, (0, None))[1], list)
    )
    for node in [nodes[k] for _place, k in fields]:
        name, sub = node.name, index[node.name][1]
        inner = _field_extensions(node.children, sub)
        if inner:
            in_fields.append(("" if name in _UNNAMED else name) + inner)
            nodes.remove(node)
    return (
        "eventType="
        + str(event.get("type", ""))
        + standard
        + _generic(ilmd)
        + "".join(in_fields)
        + _generic(nodes)
    )


# Members whose values are (nearly) always new from one event to the next: not worth caching.
_UNCACHED = frozenset({"eventTime", "epcList", "childEPCs", "parentID", "inputEPCList", "outputEPCList"})
_CACHE_MAX = 4096
# Standard fields that `_Builder.member` takes as they are (`generic`): a string is `name=value`.
_PLAIN = frozenset({"eventTime", "eventTimeZoneOffset", "parentID", "action", "transformationID"})
_PLACES = {name: i for i, (name, _sub) in enumerate(ORDER)}


@dataclass(frozen=True)
class _Part:
    """What one top-level member of an event adds to its pre-hash string: its standard field
    (at its place in `ORDER`), the ILMD, the user extensions inside it (at its place), and
    entries of the event-level rest (sorted with every other member's)."""

    place: int
    standard: str
    ilmd: str
    in_field: str
    rest: tuple[str, ...]


class EventHasher:
    """`pre_hash`/`event_hash` for the events of one document (one `@context`).

    The pre-hash string is put together member by member: a standard field's text depends on
    that member alone, the ILMD is one member, the extensions inside a standard field follow
    from it alone, and the event-level rest is one sorted list of every member's entries. So
    each member's contribution is computed once per distinct value and kept: the locations,
    vocabulary, ILMD and destinations of a document repeat from event to event."""

    def __init__(self, context: dict[str, str] | None = None) -> None:
        self.builder = _Builder(context)
        self._parts: dict[tuple, _Part] = {}

    def _part(self, name: str, value: Any) -> _Part:
        nodes = self.builder.member(name, value)
        standard = _ordered(nodes, ORDER)
        found = _index(ORDER).get(name)
        place = found[0] if found is not None else -1
        ilmd = ""
        if name == "ilmd":
            ilmd = _generic([n for n in nodes if n.name == "ilmd"])
            nodes = [n for n in nodes if n.name != "ilmd"]
        in_field = []
        if found is not None and isinstance(found[1], list):
            for node in [n for n in nodes if n.name == name]:
                inner = _field_extensions(node.children, found[1])
                if inner:
                    in_field.append(("" if name in _UNNAMED else name) + inner)
                    nodes.remove(node)
        return _Part(place, standard, ilmd, "".join(in_field), tuple(_generic_parts(nodes)))

    def _plain_part(self, name: str, value: str) -> _Part:
        """`_part` of a standard field written as one string (no members): `name=value`."""
        text = self.builder.text(value).strip()
        if text:
            if _is_time(name):
                with contextlib.suppress(ValueError):  # not a time after all: as written
                    text = utc_millis(text)
            else:
                text = canonical_value(text)
        return _Part(_PLACES[name], f"{name}={text}" if text else "", "", "", ())

    def _epc_list_part(self, name: str, value: list[str]) -> _Part:
        """`_part` of an EPC list of strings: the name and its EPCs sorted."""
        text = self.builder.text
        epcs = sorted(f"epc={canonical_value(t)}" for t in (text(v).strip() for v in value) if t)
        return _Part(_PLACES[name], name + "".join(epcs) if epcs else "", "", "", ())

    def part(self, name: str, value: Any) -> _Part:
        if name in _UNCACHED:
            if isinstance(value, str) and name in _PLAIN:
                return self._plain_part(name, value)
            if name in _EPC_LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value):
                return self._epc_list_part(name, value)
            return self._part(name, value)
        # The type counts (True, 1 and 1.0 are equal keys but different texts): their reprs differ.
        key = (name, value) if isinstance(value, str) else (name, type(value), repr(value))
        found = self._parts.get(key)
        if found is None:
            if len(self._parts) >= _CACHE_MAX:
                self._parts.clear()
            found = self._parts[key] = self._part(name, value)
        return found

    def pre_hash(self, event: dict) -> str:
        parts = [self.part(k, v) for k, v in event.items() if k not in NOT_HASHED]
        placed = sorted((p for p in parts if p.place >= 0), key=lambda p: p.place)
        rest = [entry for p in parts for entry in p.rest]
        return (
            "eventType="
            + str(event.get("type", ""))
            + "".join(p.standard for p in placed)
            + "".join(p.ilmd for p in parts)
            + "".join(p.in_field for p in placed)
            + "".join(sorted(rest))
        )

    def event_hash(self, event: dict) -> str:
        """`ni:///sha-256;…?ver=CBV2.0` of the event."""
        digest = hashlib.sha256(self.pre_hash(event).encode("utf-8")).hexdigest()
        return f"ni:///sha-256;{digest}?ver={CBV_VERSION}"


def pre_hash(event: dict, context: dict[str, str] | None = None) -> str:
    """The canonical pre-hash string of one event (JSON-LD shape; `context` maps the prefixes
    the document's `@context` defines to their namespaces)."""
    return EventHasher(context).pre_hash(event)


def event_hash(event: dict, context: dict[str, str] | None = None) -> str:
    """`ni:///sha-256;…?ver=CBV2.0` of the event (for many events of one document, see `EventHasher`)."""
    return EventHasher(context).event_hash(event)
