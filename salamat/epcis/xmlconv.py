"""EPCIS 2.0 XML <-> the JSON-LD document shape (pure: lxml, no Django).

Reading (capture, and query answers read back) follows the XML/JSON mapping of EPCIS 2.0 §12: list wrappers become arrays
(`<epcList><epc>` -> `"epcList": [...]`, `<quantityList><quantityElement>` -> objects),
attributes become members (`<bizTransaction type="…">` -> `{"type", "bizTransaction"}`,
`<sensorReport value="26.0">` -> numbers), CBV URNs become bare names, EPCIS 1.x
`<extension>`/`<baseExtension>` wrappers are flattened, and user extensions keep the
document's prefix (`ext1:float`) with the prefix added to the `@context`. Documents are parsed
with no network access and no entity expansion.

Writing (`query_document_to_xml`, the XML query answer) is the same mapping the other way: the
elements in the XSD's order for each event type, CBV values as URNs, sensor values as attributes,
extension members as elements in their namespaces (arrays repeat the element).
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from salamat.epcis import vocab

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
# The XML namespace of CBV master-data attributes; JSON-LD writes them `cbvmda:…` with the standard
# context's `cbvmda` ("urn:epcglobal:cbv:mda:"), so documents need not bind it.
CBVMDA_NS = "urn:epcglobal:cbv:mda"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XSI_NIL = f"{{{XSI_NS}}}nil"
_XSI_TYPE = f"{{{XSI_NS}}}type"
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


def _is_nil(el) -> bool:
    return el.get(_XSI_NIL, "").strip() in ("true", "1")


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
        """`prefix:local` for a namespaced name. The document's prefix when it is free; one
        namespace keeps one prefix (documents may bind a prefix differently in places); the CBV
        master-data namespace is the standard context's `cbvmda`."""
        q = etree.QName(tag)
        if q.namespace is None:
            return q.localname
        if q.namespace == CBVMDA_NS:
            return f"cbvmda:{q.localname}"
        known = next((p for p, ns in self.context.items() if ns == q.namespace), None)
        if known is None:
            known = prefix if prefix and prefix not in self.context and prefix != "cbvmda" else None
            n = len(self.context)
            while known is None or known in self.context:
                known, n = f"ns{n}", n + 1
            self.context[known] = q.namespace
        return f"{known}:{q.localname}"

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
        """A user extension (or ILMD) element: its text, or an object of its children. A nil
        element (`xsi:nil="true"`) is null. Attributes are kept as members named `@` + their
        name (`@xsi:type`, `@unit`, `@example:source`), the text then as `@value`."""
        if _is_nil(el):
            return None
        kids = list(self.children(el))
        out: dict[str, Any] = {}
        for name, value in el.attrib.items():
            if name == _XSI_NIL:
                continue
            if name == _XSI_TYPE:
                out["@xsi:type"] = self.type_name(el, value)
            elif etree.QName(name).namespace is None:
                out["@" + name] = value
            else:
                prefix = next(
                    (p for p, uri in (el.nsmap or {}).items() if uri == etree.QName(name).namespace and p),
                    None,
                )
                out["@" + self.qname(name, prefix)] = value
        if not kids:
            if not out:
                return _text(el)
            out["@value"] = _text(el)
            return out
        for kid in kids:
            _put(out, self.qname(kid.tag, kid.prefix), self.extension(kid))
        return out

    def type_name(self, el, value: str) -> str:
        """An `xsi:type` value (a QName in the element's scope) with a prefix the answer binds:
        `xsd:` for XML Schema's types, the context's prefix for any other namespace."""
        prefix, sep, local = value.strip().rpartition(":")
        namespace = (el.nsmap or {}).get(prefix or None)
        if namespace == XSD_NS:
            return f"xsd:{local}"
        if namespace is None:
            return value.strip()
        return self.qname(f"{{{namespace}}}{local}", prefix or None)

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
            elif key in vocab.SENSOR_VALUE_PREFIXES:
                out[key] = vocab.sensor_value_short(key, value)
            else:
                out[key] = value
        return out

    def quantity(self, el) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kid in self.children(el):
            name = _local(kid)
            if _is_nil(kid):
                continue  # `<quantity xsi:nil="true"/>`: no quantity given
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


def _event_list(root):
    """The EventList of a capture document (EPCISBody/EventList) or of a query answer
    (EPCISBody/QueryResults/resultsBody/EventList), and the QueryResults element if any."""
    for body in root:
        if not (isinstance(body.tag, str) and _local(body) == "EPCISBody"):
            continue
        for child in body:
            if not isinstance(child.tag, str):
                continue
            if _local(child) == "EventList":
                return child, None
            if _local(child) == "QueryResults":
                for part in child:
                    if isinstance(part.tag, str) and _local(part) == "resultsBody":
                        lst = next(
                            (e for e in part if isinstance(e.tag, str) and _local(e) == "EventList"), None
                        )
                        return lst, child
                return None, child
    return None, None


def document_from_xml(root) -> dict[str, Any]:
    """An EPCIS XML document (already schema-valid) as the JSON-LD document shape: an
    EPCISDocument, or an EPCISQueryDocument for a query answer."""
    conv = _Converter()
    lst, query = _event_list(root)
    events = (
        [conv.event(el) for el in conv.children(lst) if _local(el) in EVENT_TYPES] if lst is not None else []
    )
    doc: dict[str, Any] = {
        "@context": [vocab.STANDARD_CONTEXT, *({p: uri} for p, uri in sorted(conv.context.items()))],
        "type": "EPCISDocument",
        "schemaVersion": root.get("schemaVersion", "2.0"),
        "creationDate": root.get("creationDate"),
        "epcisBody": {"eventList": events},
    }
    if query is not None:
        results: dict[str, Any] = {}
        for part in query:
            if isinstance(part.tag, str) and _local(part) in ("queryName", "subscriptionID"):
                results[_local(part)] = _text(part)
        results["resultsBody"] = {"eventList": events}
        doc["type"] = "EPCISQueryDocument"
        doc["epcisBody"] = {"queryResults": results}
    return doc


# --- the JSON-LD shape -> EPCIS 2.0 XML (query answers) -----------------------------------------

EPCISQ_NS = "urn:epcglobal:epcis-query:xsd:2"
# Prefixes an event may use without defining them (the standard JSON-LD context), as XML namespaces.
WELL_KNOWN_NAMESPACES = {
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
    "epcis": "https://ref.gs1.org/epcis/",
    "cbvmda": CBVMDA_NS,
    "xsi": XSI_NS,
    "xsd": XSD_NS,
}
_HEAD = ("eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration", "certificationInfo")
_TAIL = ("sourceList", "destinationList", "sensorElementList", "persistentDisposition")
# The element order of each event type in EPCglobal-epcis-2_0.xsd (after the common head).
EVENT_ORDER: dict[str, tuple[str, ...]] = {
    "ObjectEvent": ("epcList", "action", "bizStep", "disposition", "readPoint", "bizLocation",
                    "bizTransactionList", "quantityList", *_TAIL, "ilmd"),
    "AggregationEvent": ("parentID", "childEPCs", "action", "bizStep", "disposition", "readPoint", "bizLocation",
                         "bizTransactionList", "childQuantityList", *_TAIL),
    "TransactionEvent": ("bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition",
                         "readPoint", "bizLocation", "quantityList", *_TAIL),
    "TransformationEvent": ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
                            "transformationID", "bizStep", "disposition", "readPoint", "bizLocation",
                            "bizTransactionList", *_TAIL, "ilmd"),
    "AssociationEvent": ("parentID", "childEPCs", "childQuantityList", "action", "bizStep", "disposition",
                         "readPoint", "bizLocation", "bizTransactionList", *_TAIL),
}  # fmt: skip
# Sensor report members written bare in JSON-LD, and the prefix their XML form carries.
_SENSOR_VOCABULARY = {member: prefixes[0] for member, prefixes in vocab.SENSOR_VALUE_PREFIXES.items()}


# JSON-LD keywords an extension object may carry; not data, so not written in XML.
_JSONLD_KEYWORDS = frozenset({"@context", "@id", "@type", "@language", "@list", "@set", "@graph", "@index",
                              "@reverse", "@vocab", "@base", "@direction", "@json", "@nest", "@none"})  # fmt: skip


class NotRepresentable(ValueError):
    """An event member has no XML form (a key that is no XML name)."""


def _lexical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _cbv_urn(kind: str, value: Any) -> str:
    return vocab.cbv_urn(kind, _lexical(value))


class _Writer:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = {**WELL_KNOWN_NAMESPACES, **prefixes}
        if self.prefixes["cbvmda"] == CBVMDA_NS + ":":  # the JSON-LD spelling of the XML namespace
            self.prefixes["cbvmda"] = CBVMDA_NS

    def tag(self, key: str, bare: bool = False) -> str:
        """`prefix:local` (or an absolute IRI) as an lxml `{namespace}local` tag; a name with no
        prefix is an element in no namespace where that is allowed (`bare`: inside an extension)."""
        prefix, sep, local = key.partition(":")
        if bare and not sep:
            try:
                return etree.QName(key).text
            except ValueError as exc:
                raise NotRepresentable(key) from exc
        if sep and prefix in self.prefixes:
            namespace = self.prefixes[prefix]
        else:
            cut = max(key.rfind("/"), key.rfind("#"))
            namespace, local = (
                (key[: cut + 1], key[cut + 1 :]) if cut > 0 else ((prefix + ":") if sep else "", local)
            )
        if not namespace:
            raise NotRepresentable(key)
        try:
            return etree.QName(namespace, local).text
        except ValueError as exc:
            raise NotRepresentable(key) from exc

    def text(self, parent, name: str, value: Any) -> None:
        etree.SubElement(parent, name).text = _lexical(value)

    def extension(self, parent, key: str, value: Any, bare: bool = False) -> None:
        """A user extension member: arrays repeat the element, objects nest (their members may be
        elements in no namespace), `@`-members are attributes and `@value` the text, null is nil."""
        if isinstance(value, list):
            for item in value:
                self.extension(parent, key, item, bare)
            return
        el = etree.SubElement(parent, self.tag(key, bare))
        if value is None:
            el.set(_XSI_NIL, "true")
        elif isinstance(value, dict):
            for k, v in value.items():
                if k == "@value":
                    el.text = _lexical(v)
                elif k in _JSONLD_KEYWORDS:
                    continue  # JSON-LD's own, not data
                elif k.startswith("@") and len(k) > 1 and k[1:].partition(":")[1]:
                    el.set(self.tag(k[1:]), _lexical(v))
                elif k.startswith("@") and len(k) > 1:
                    try:
                        el.set(k[1:], _lexical(v))
                    except ValueError as exc:
                        raise NotRepresentable(k) from exc
                elif not k.startswith("@"):
                    self.extension(el, k, v, bare=True)
        else:
            el.text = _lexical(value)

    def attributes(self, el, members: dict, vocabulary: dict[str, str] | None = None) -> None:
        for key, value in members.items():
            if ":" in key:  # a user extension: an attribute in its namespace
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                el.set(self.tag(key), text)
                continue
            text = _lexical(value)
            if vocabulary and key in vocabulary and text and ":" not in text:
                text = vocabulary[key] + text
            el.set(key, text)

    def member(self, parent, name: str, value: Any) -> None:  # one case per standard member
        if name in vocab.EPC_LIST_FIELDS:
            lst = etree.SubElement(parent, name)
            for epc in value or []:
                self.text(lst, "epc", epc)
        elif name in vocab.QUANTITY_LIST_FIELDS:
            lst = etree.SubElement(parent, name)
            for q in value or []:
                qe = etree.SubElement(lst, "quantityElement")
                for k in ("epcClass", "quantity", "uom"):
                    if k in q:
                        self.text(qe, k, q[k])
        elif name in ("readPoint", "bizLocation"):
            place = etree.SubElement(parent, name)
            self.text(place, "id", value.get("id"))
            for k, v in value.items():
                if k != "id":
                    self.extension(place, k, v)
        elif name == "bizTransactionList":
            lst = etree.SubElement(parent, name)
            for t in value or []:
                el = etree.SubElement(lst, "bizTransaction")
                el.text = _lexical(t.get("bizTransaction"))
                if t.get("type"):
                    el.set("type", _cbv_urn("btt", t["type"]))
        elif name in ("sourceList", "destinationList"):
            member = name[:-4]
            lst = etree.SubElement(parent, name)
            for s in value or []:
                el = etree.SubElement(lst, member)
                el.text = _lexical(s.get(member))
                el.set("type", _cbv_urn("sdt", s.get("type", "")))
        elif name in ("bizStep", "disposition"):
            self.text(parent, name, _cbv_urn(name, value))
        elif name == "persistentDisposition":
            pd = etree.SubElement(parent, name)
            for k in ("unset", "set"):
                for v in value.get(k) or []:
                    self.text(pd, k, _cbv_urn("disposition", v))
        elif name == "sensorElementList":
            lst = etree.SubElement(parent, name)
            for element in value or []:
                se = etree.SubElement(lst, "sensorElement")
                if "sensorMetadata" in element:
                    self.attributes(etree.SubElement(se, "sensorMetadata"), element["sensorMetadata"])
                for report in element.get("sensorReport") or []:
                    self.attributes(etree.SubElement(se, "sensorReport"), report, _SENSOR_VOCABULARY)
                for k, v in element.items():
                    if k not in ("sensorMetadata", "sensorReport"):
                        self.extension(se, k, v)
        elif name == "ilmd":
            ilmd = etree.SubElement(parent, name)
            for k, v in value.items():
                self.extension(ilmd, k, v)
        elif name == "errorDeclaration":
            decl = etree.SubElement(parent, name)
            for k in ("declarationTime", "reason", "correctiveEventIDs"):
                if k == "correctiveEventIDs" and k in value:
                    ids = etree.SubElement(decl, k)
                    for event_id in value[k]:
                        self.text(ids, "correctiveEventID", event_id)
                elif k in value:
                    self.text(decl, k, _cbv_urn("er", value[k]) if k == "reason" else value[k])
            for k, v in value.items():
                if k not in ("declarationTime", "reason", "correctiveEventIDs"):
                    self.extension(decl, k, v)
        else:
            self.text(parent, name, value)

    def event(self, parent, event: dict) -> None:
        kind = event["type"]
        order = (*_HEAD, *EVENT_ORDER[kind])
        el = etree.SubElement(parent, kind)
        for name in order:
            if name in event:
                self.member(el, name, event[name])
        for key, value in event.items():
            if key not in order and key not in ("type", "@context"):
                self.extension(el, key, value)


def context_prefixes(document: dict) -> dict[str, str]:
    """The prefixes the document's @context defines (besides the standard context)."""
    ctx = document.get("@context")
    out: dict[str, str] = {}
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(entry, dict):
            out.update({k: v for k, v in entry.items() if isinstance(v, str)})
    return out


def query_document_to_xml(document: dict) -> bytes:
    """An EPCISQueryDocument in the JSON-LD shape as EPCIS 2.0 XML (valid against
    EPCglobal-epcis-query-2_0.xsd). Raises `NotRepresentable` for a member with no XML name."""
    prefixes = context_prefixes(document)
    writer = _Writer(prefixes)
    nsmap = {"epcisq": EPCISQ_NS, **{p: u for p, u in writer.prefixes.items() if u and _usable_prefix(p)}}
    root = etree.Element(etree.QName(EPCISQ_NS, "EPCISQueryDocument"), nsmap=nsmap)
    root.set("schemaVersion", str(document.get("schemaVersion", "2.0")))
    root.set("creationDate", str(document.get("creationDate", "")))
    results = document["epcisBody"]["queryResults"]
    body = etree.SubElement(root, "EPCISBody")
    qr = etree.SubElement(body, etree.QName(EPCISQ_NS, "QueryResults"))
    etree.SubElement(qr, "queryName").text = results.get("queryName", "SimpleEventQuery")
    if results.get("subscriptionID"):
        etree.SubElement(qr, "subscriptionID").text = results["subscriptionID"]
    event_list = etree.SubElement(etree.SubElement(qr, "resultsBody"), "EventList")
    for event in results["resultsBody"].get("eventList") or []:
        writer.event(event_list, event)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _usable_prefix(prefix: str) -> bool:
    try:
        etree.QName("urn:x", prefix)
    except ValueError:
        return False
    return prefix not in ("xml", "xmlns")
