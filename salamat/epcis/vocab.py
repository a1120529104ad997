"""GS1 vocabularies and identifiers in EPCIS documents (pure: no Django).

Events are stored in the compact form the JSON-LD binding uses: CBV values as bare names
(``shipping``, ``in_transit``, ``po``, ``owning_party``), whatever form they arrived in
(``urn:epcglobal:cbv:bizstep:shipping`` from XML, ``https://ref.gs1.org/cbv/BizStep-shipping``
from a Web-vocabulary client). Identifiers are kept as captured; `canonical_id` gives the one
form they are matched on (GS1 Digital Link for every GS1 key with a URN, no company-prefix
length needed in that direction).
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote, unquote

from salamat.codes.checkdigit import gs1_check_digit
from salamat.codes.schemes import scheme_uri_key

STANDARD_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
DL_HOST = "https://id.gs1.org"

# Field kind -> (old URN prefix, Web vocabulary prefix): both mean the same bare CBV name.
CBV_PREFIXES: dict[str, tuple[str, str]] = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    "btt": ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    "sdt": ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    "er": ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
}
SENSOR_TYPE_PREFIXES = ("gs1:", "https://gs1.org/voc/", "https://ref.gs1.org/voc/")
# Sensor report members whose vocabulary values the JSON-LD binding writes bare: the measurement
# type and the alert (GS1 Web vocabulary), the component (CBV `Comp-` values).
SENSOR_VALUE_PREFIXES = {
    "type": SENSOR_TYPE_PREFIXES,
    "exception": SENSOR_TYPE_PREFIXES,
    "component": ("cbv:Comp-", "https://ref.gs1.org/cbv/Comp-"),
}


def cbv_short(kind: str, value: str) -> str:
    """`urn:epcglobal:cbv:bizstep:shipping` / `https://ref.gs1.org/cbv/BizStep-shipping` -> `shipping`."""
    if not isinstance(value, str):
        return value
    for prefix in CBV_PREFIXES[kind]:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def cbv_urn(kind: str, text: str) -> str:
    """A CBV value as the XML binding writes it (the inverse of `cbv_short`): the URN of a bare
    name or of its Web URI; any other URI as it is."""
    urn, web = CBV_PREFIXES[kind]
    if text.startswith(web):
        return urn + text[len(web) :]
    return text if ":" in text or not text else urn + text


def sensor_value_short(member: str, value: str) -> str:
    """`gs1:Temperature` -> `Temperature`, `cbv:Comp-x` -> `x` (a sensor report member's bare form)."""
    for prefix in SENSOR_VALUE_PREFIXES.get(member, ()):
        if isinstance(value, str) and value.startswith(prefix):
            return value[len(prefix) :]
    return value


# --- EPC URN <-> GS1 Digital Link ------------------------------------------------------------

_URN = re.compile(r"^urn:epc:(id|idpat|class):([a-z0-9-]+):(.+)$")


def with_check_digit(body: str) -> str:
    return body + str(gs1_check_digit(body))


def urn_to_digital_link(value: str) -> str | None:
    """GS1 EPC URN (pure identity or class) -> GS1 Digital Link URI, or None if not a GS1 key."""
    m = _URN.match(value)
    if not m:
        return None
    kind, scheme, rest = m.groups()
    parts = rest.split(".")
    try:
        if kind == "id" and scheme == "sgtin" and len(parts) >= 3:
            company, item, serial = parts[0], parts[1], ".".join(parts[2:])
            gtin = with_check_digit(item[0] + company + item[1:])
            return f"{DL_HOST}/01/{gtin}/21/{quote(unquote(serial), safe='')}"
        if kind == "id" and scheme == "sscc" and len(parts) == 2:
            company, ref = parts
            return f"{DL_HOST}/00/{with_check_digit(ref[0] + company + ref[1:])}"
        if kind == "id" and scheme == "sgln" and len(parts) >= 3:
            gln = with_check_digit(parts[0] + parts[1])
            ext = ".".join(parts[2:])
            return f"{DL_HOST}/414/{gln}" + (f"/254/{quote(unquote(ext), safe='')}" if ext != "0" else "")
        if kind == "id" and scheme == "pgln" and len(parts) == 2:
            return f"{DL_HOST}/417/{with_check_digit(parts[0] + parts[1])}"
        if kind == "id" and scheme == "giai" and len(parts) >= 2:
            return f"{DL_HOST}/8004/{parts[0]}{quote(unquote('.'.join(parts[1:])), safe='')}"
        if kind == "id" and scheme == "grai" and len(parts) >= 3:
            grai = with_check_digit("0" + parts[0] + parts[1])
            return f"{DL_HOST}/8003/{grai}{quote(unquote('.'.join(parts[2:])), safe='')}"
        if kind == "id" and scheme == "gsrn" and len(parts) == 2:
            return f"{DL_HOST}/8018/{with_check_digit(parts[0] + parts[1])}"
        if kind == "id" and scheme == "gdti" and len(parts) >= 3:
            return f"{DL_HOST}/253/{with_check_digit(parts[0] + parts[1])}{'.'.join(parts[2:])}"
        if kind == "class" and scheme == "lgtin" and len(parts) >= 3:
            company, item, lot = parts[0], parts[1], ".".join(parts[2:])
            gtin = with_check_digit(item[0] + company + item[1:])
            return f"{DL_HOST}/01/{gtin}/10/{quote(unquote(lot), safe='')}"
        if kind == "idpat" and scheme == "sgtin" and len(parts) == 3 and parts[2] == "*":
            return f"{DL_HOST}/01/{with_check_digit(parts[1][0] + parts[0] + parts[1][1:])}"
    except (IndexError, ValueError):
        return None
    return None


_DL = re.compile(r"^https?://[^/]+(/.*)$")


def canonical_id(value: str) -> str:
    """The form an identifier is matched on: GS1 Digital Link on id.gs1.org for GS1 keys
    (URN or Digital Link on any host), a labelling scheme's key for its URIs, the value
    itself otherwise."""
    if not isinstance(value, str):
        return value
    return _canonical_id(value)


@functools.lru_cache(maxsize=65536)
def _canonical_id(value: str) -> str:
    """`canonical_id` of a string. Cached: a document names each identifier several times
    (commissioned, packed, received, sold), and every location in every event."""
    if value.startswith("urn:epc:"):
        return urn_to_digital_link(value) or value
    m = _DL.match(value)
    if m and re.match(r"^/(01|00|414|417|8004|8003|8018|253)/", m.group(1)):
        path = m.group(1).split("?", 1)[0]
        return DL_HOST + path
    # A labelling scheme's URI (https://<any host>/id/<scheme>/<product>/<serial>) matches on
    # its package key, so the same pack written on another host is the same identifier.
    return scheme_uri_key(value) or value


def gln_of(value: str) -> str | None:
    """The 13-digit GLN of an SGLN/PGLN (URN or Digital Link), or None."""
    dl = canonical_id(value or "")
    m = re.match(r"^https://id\.gs1\.org/(414|417)/(\d{13})", dl)
    return m.group(2) if m else None


# --- the same event, one shape -----------------------------------------------------------

EPC_LIST_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LIST_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def compact_event(event: dict) -> dict:
    """The event with every CBV value in its bare form (the JSON-LD binding's compact form)."""
    out = dict(event)
    for key, kind in (("bizStep", "bizStep"), ("disposition", "disposition")):
        if isinstance(out.get(key), str):
            out[key] = cbv_short(kind, out[key])
    if isinstance(out.get("bizTransactionList"), list):
        out["bizTransactionList"] = [
            {**t, "type": cbv_short("btt", t["type"])} if isinstance(t, dict) and "type" in t else t
            for t in out["bizTransactionList"]
        ]
    for key in ("sourceList", "destinationList"):
        if isinstance(out.get(key), list):
            out[key] = [
                {**t, "type": cbv_short("sdt", t["type"])} if isinstance(t, dict) and "type" in t else t
                for t in out[key]
            ]
    pd = out.get("persistentDisposition")
    if isinstance(pd, dict):
        out["persistentDisposition"] = {
            k: [cbv_short("disposition", v) for v in vs] if isinstance(vs, list) else vs
            for k, vs in pd.items()
        }
    err = out.get("errorDeclaration")
    if isinstance(err, dict) and isinstance(err.get("reason"), str):
        out["errorDeclaration"] = {**err, "reason": cbv_short("er", err["reason"])}
    if isinstance(out.get("sensorElementList"), list):
        elements = []
        for element in out["sensorElementList"]:
            if isinstance(element, dict) and isinstance(element.get("sensorReport"), list):
                element = {
                    **element,
                    "sensorReport": [
                        {k: sensor_value_short(k, v) for k, v in r.items()} if isinstance(r, dict) else r
                        for r in element["sensorReport"]
                    ],
                }
            elements.append(element)
        out["sensorElementList"] = elements
    return out


def event_identifiers(event: dict) -> list[tuple[str, str]]:
    """(role, identifier) of every EPC and EPC class an event names."""
    found: list[tuple[str, str]] = []
    for field in EPC_LIST_FIELDS:
        for epc in event.get(field) or []:
            if isinstance(epc, str):
                found.append((field, epc))
    if isinstance(event.get("parentID"), str):
        found.append(("parentID", event["parentID"]))
    for field in QUANTITY_LIST_FIELDS:
        for q in event.get(field) or []:
            if isinstance(q, dict) and isinstance(q.get("epcClass"), str):
                found.append((field, q["epcClass"]))
    return found


def digital_link_to_urn(value: str) -> str | None:
    """Digital Link -> EPC URN. The URN splits the GTIN at the company prefix, whose length is
    not in the Digital Link; without the GS1 prefix-length table that is not knowable, so the
    identifier stays a Digital Link (documented in docs/epcis.md)."""
    return None


def plain(value: Any) -> Any:
    """An extension or ILMD value without its XML attributes: `{"@xsi:type": …, "@value": "L1"}`
    (an XML element with attributes, see xmlconv) is "L1"; any other value is itself."""
    if isinstance(value, dict) and "@value" in value:
        return value["@value"]
    return value
