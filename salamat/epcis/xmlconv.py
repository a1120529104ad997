"""EPCIS 2.0 XML -> the JSON-LD document shape (pure: lxml, no Django).

Follows the XML/JSON mapping of EPCIS 2.0 §12: list wrappers become arrays
(`<epcList><epc>` -> `"epcList": [...]`, `<quantityList><quantityElement>` -> objects),
attributes become members (`<bizTransaction type="…">` -> `{"type", "bizTransaction"}`,
`<sensorReport value="26.0">` -> numbers), CBV URNs become bare names, EPCIS 1.x
`<extension>`/`<baseExtension>` wrappers are flattened, and user extensions keep the
document's prefix (`ext1:float`) with the prefix added to the `@context`. Documents are parsed
with no network access and no entity expansion.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from salamat.epcis import vocab

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_WRAPPERS = ("extension", "baseExtension")
_NUMERIC_REPORT_ATTRS = ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue")
_EPC_CHILDREN = ("epc", "inputEPC", "outputEPC")


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(el) -> str:
    return etree.QName(el).localname


def _ns(el) -> str | None:
    return etree.QName(el).namespace


def _text(el) -> str:
    return (el.text or "").strip()


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Adds a member; an element repeated under one name becomes an array (XML has no other
    way to write one), in document order."""
    if key in out:
        out[key] = out[key] if isinstance(out[key], list) else [out[key]]
        out[key].append(value)
    else:
        out[key] = value


def _number(text: str) -> int | float | str:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


class _Converter:
    def __init__(self) -> None:
        self.context: dict[str, str] = {}

    def qname(self, tag: str, prefix: str | None) -> str:
        q = etree.QName(tag)
        if q.namespace is None:
            return q.localname
        prefix = prefix or f"ns{len(self.context)}"
        self.context.setdefault(prefix, q.namespace)
        return f"{prefix}:{q.localname}"

    def children(self, el):
        """Child elements, with the 1.x extension wrappers flattened."""
        for child in el:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            if _ns(child) is None and _local(child) in _WRAPPERS:
                yield from self.children(child)
            else:
                yield child

    def extension(self, el) -> Any:
        kids = list(self.children(el))
        if not kids:
            return _text(el)
        out: dict[str, Any] = {}
        for kid in kids:
            _put(out, self.qname(kid.tag, kid.prefix), self.extension(kid))
        return out

    def attrs(self, el, numeric: tuple[str, ...] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in el.attrib.items():
            q = etree.QName(name)
            if q.namespace is None:
                key = q.localname
            else:
                prefix = next((p for p, uri in (el.nsmap or {}).items() if uri == q.namespace and p), None)
                key = self.qname(name, prefix)
            if key in numeric:
                out[key] = _number(value)
            elif key == "booleanValue":
                out[key] = value.strip().lower() in ("true", "1")
            elif key == "type":
                out[key] = vocab.sensor_type_short(value)
            else:
                out[key] = value
        return out

    def quantity(self, el) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kid in self.children(el):
            name = _local(kid)
            out[name] = _number(_text(kid)) if name == "quantity" else _text(kid)
        return out

    def sensor_element(self, el) -> dict[str, Any]:
        out: dict[str, Any] = {}
        reports = []
        for kid in self.children(el):
            name = _local(kid) if _ns(kid) is None else None
            if name == "sensorMetadata":
                out["sensorMetadata"] = self.attrs(kid)
            elif name == "sensorReport":
                reports.append(self.attrs(kid, _NUMERIC_REPORT_ATTRS))
            else:
                _put(out, self.qname(kid.tag, kid.prefix), self.extension(kid))
        if reports:
            out["sensorReport"] = reports
        return out

    def event(self, el) -> dict[str, Any]:
        event: dict[str, Any] = {"type": _local(el)}
        for kid in self.children(el):
            if _ns(kid) is not None:
                _put(event, self.qname(kid.tag, kid.prefix), self.extension(kid))
                continue
            name = _local(kid)
            if name in vocab.EPC_LIST_FIELDS:
                event[name] = [_text(e) for e in self.children(kid) if _local(e) in _EPC_CHILDREN]
            elif name in vocab.QUANTITY_LIST_FIELDS:
                event[name] = [self.quantity(q) for q in self.children(kid)]
            elif name in ("readPoint", "bizLocation"):
                place: dict[str, Any] = {}
                for p in self.children(kid):
                    if _ns(p) is None and _local(p) == "id":
                        place["id"] = _text(p)
                    else:
                        _put(place, self.qname(p.tag, p.prefix), self.extension(p))
                event[name] = place
            elif name == "bizTransactionList":
                event[name] = [
                    {**({"type": vocab.cbv_short("btt", t.get("type"))} if t.get("type") else {}),
                     "bizTransaction": _text(t)}
                    for t in self.children(kid)
                ]  # fmt: skip
            elif name in ("sourceList", "destinationList"):
                member = name[:-4]
                event[name] = [
                    {"type": vocab.cbv_short("sdt", s.get("type", "")), member: _text(s)}
                    for s in self.children(kid)
                ]
            elif name == "sensorElementList":
                event[name] = [self.sensor_element(s) for s in self.children(kid)]
            elif name == "persistentDisposition":
                pd: dict[str, list[str]] = {}
                for p in self.children(kid):
                    pd.setdefault(_local(p), []).append(vocab.cbv_short("disposition", _text(p)))
                event[name] = pd
            elif name == "ilmd":
                event[name] = self.extension(kid) or {}
            elif name == "errorDeclaration":
                decl: dict[str, Any] = {}
                for p in self.children(kid):
                    pname = _local(p) if _ns(p) is None else None
                    if pname == "correctiveEventIDs":
                        decl[pname] = [_text(c) for c in self.children(p)]
                    elif pname == "reason":
                        decl[pname] = vocab.cbv_short("er", _text(p))
                    elif pname is not None:
                        decl[pname] = _text(p)
                    else:
                        _put(decl, self.qname(p.tag, p.prefix), self.extension(p))
                event[name] = decl
            elif name in ("bizStep", "disposition"):
                event[name] = vocab.cbv_short(name, _text(kid))
            else:
                event[name] = _text(kid)
        return event


def document_from_xml(root) -> dict[str, Any]:
    """An EPCIS XML document (already schema-valid) as the JSON-LD document shape."""
    conv = _Converter()
    events = []
    for body in root:
        if isinstance(body.tag, str) and _local(body) == "EPCISBody":
            for lst in body:
                if isinstance(lst.tag, str) and _local(lst) == "EventList":
                    for el in conv.children(lst):
                        if _local(el) in EVENT_TYPES:
                            events.append(conv.event(el))
    doc: dict[str, Any] = {
        "@context": [vocab.STANDARD_CONTEXT, *({p: uri} for p, uri in sorted(conv.context.items()))],
        "type": "EPCISDocument",
        "schemaVersion": root.get("schemaVersion", "2.0"),
        "creationDate": root.get("creationDate"),
        "epcisBody": {"eventList": events},
    }
    return doc
