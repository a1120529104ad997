"""The GS1 event hash (CBV 2.0 §8.9, "EPCIS event hash ID"; pure: no Django).

`ni:///sha-256;<hex>?ver=CBV2.0` of a pre-hash string built from the event in a fixed field
order: ``eventType=…``, then each present field as ``name=value`` (lists as the list name
followed by their elements sorted lexically, nested structures likewise), user extensions
last in lexical order. Values are canonicalised first: times in UTC at millisecond precision,
CBV values as Web vocabulary URIs, GS1 keys as Digital Link URIs on id.gs1.org, numbers
without trailing zeros. `recordTime`, `eventID`, `errorDeclaration` and `certificationInfo`
(information about the record, not the event) take no part. Because JSON and XML are
converted to one shape first, the same event captured as either gets the same hash.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from salamat.epcis import vocab

_QTY = ("epcClass", "quantity", "uom")
_ORDER: list[tuple[str, Any]] = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("parentID", None),
    ("epcList", "epc"),
    ("inputEPCList", "epc"),
    ("childEPCs", "epc"),
    ("quantityList", _QTY),
    ("childQuantityList", _QTY),
    ("inputQuantityList", _QTY),
    ("outputEPCList", "epc"),
    ("outputQuantityList", _QTY),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", ("set", "unset")),
    ("readPoint", ("id",)),
    ("bizLocation", ("id",)),
    ("bizTransactionList", ("type", "bizTransaction")),
    ("sourceList", ("type", "source")),
    ("destinationList", ("type", "destination")),
    ("sensorElementList", "sensor"),
    ("ilmd", "ext"),
]
_SENSOR_META = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
                "bizRules")  # fmt: skip
_SENSOR_REPORT = ("type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
                  "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
                  "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank",
                  "percValue", "uom", "coordinateReferenceSystem")  # fmt: skip
_IGNORED = {"type", "recordTime", "eventID", "errorDeclaration", "certificationInfo", "@context"}
_CBV_KIND = {"bizStep": "bizStep", "disposition": "disposition", "set": "disposition", "unset": "disposition"}


def utc_millis(value: str) -> str:
    """An ISO 8601 time in UTC at millisecond precision with a Z (as the hash wants it)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _value(name: str, value: Any, context: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if "time" in name.lower() and "offset" not in name.lower():
        try:
            return utc_millis(text)
        except ValueError:
            return text
    if name in _CBV_KIND:
        return vocab.cbv_web_uri(_CBV_KIND[name], text)
    if name == "type" and context.get("_parent") == "bizTransaction":
        return vocab.cbv_web_uri("btt", text)
    if name == "type" and context.get("_parent") in ("source", "destination"):
        return vocab.cbv_web_uri("sdt", text)
    if name == "type" and context.get("_parent") == "sensorReport" and ":" not in text:
        return "https://gs1.org/voc/" + text
    try:
        number = float(text)
    except ValueError:
        return vocab.canonical_id(_expand(text, context))
    return str(int(number)) if number.is_integer() else repr(number)


def _expand(text: str, context: dict[str, str]) -> str:
    prefix, sep, rest = text.partition(":")
    if sep and prefix in context and not prefix.startswith("_"):
        return context[prefix] + rest
    return text


def _key(name: str, context: dict[str, str]) -> str:
    prefix, sep, rest = name.partition(":")
    if sep and prefix in context:
        return "{" + context[prefix] + "}" + rest
    return name


def _ext(name: str, value: Any, context: dict[str, str]) -> str:
    """A user extension: `{namespace}name=value`, nested members sorted."""
    key = _key(name, context)
    if isinstance(value, dict):
        return key + "".join(sorted(_ext(k, v, context) for k, v in value.items()))
    if isinstance(value, list):
        return "".join(sorted(_ext(name, v, context) for v in value))
    return f"{key}={_value(name, value, context)}"


def _ordered(obj: dict, names: tuple[str, ...], context: dict[str, str], parent: str) -> str:
    ctx = {**context, "_parent": parent}
    text = "".join(f"{n}={_value(n, obj[n], ctx)}" for n in names if obj.get(n) not in (None, ""))
    extras = sorted(_ext(k, v, context) for k, v in obj.items() if k not in names)
    return text + "".join(extras)


def pre_hash(event: dict, context: dict[str, str] | None = None) -> str:
    """The canonical pre-hash string of one event (JSON-LD shape, compact or not)."""
    context = context or {}
    parts = ["eventType=" + event["type"]]
    for name, how in _ORDER:
        value = event.get(name)
        if value in (None, "", [], {}):
            continue
        if how is None:
            parts.append(f"{name}={_value(name, value, context)}")
        elif how == "epc":
            parts.append(name + "".join(sorted(f"epc={_value('epc', v, context)}" for v in value)))
        elif how == _QTY:
            parts.append(
                name + "".join(sorted("quantityElement" + _ordered(q, _QTY, context, "q") for q in value))
            )
        elif name == "persistentDisposition":
            parts.append(
                name
                + "".join(
                    "".join(sorted(f"{k}={_value(k, v, context)}" for v in value.get(k, []))) for k in how
                )
            )
        elif name in ("readPoint", "bizLocation"):
            parts.append(name + _ordered(value, how, context, name))
        elif name.endswith("List") and isinstance(how, tuple):
            member = how[1]
            # "bizTransaction=…type=…": the identifier first, then its type (CBV 2.0 order).
            items = [
                f"{member}={_value(member, t.get(member, ''), context)}"
                + (
                    f"type={_value('type', t['type'], {**context, '_parent': member})}"
                    if t.get("type")
                    else ""
                )
                for t in value
            ]
            parts.append(name + "".join(sorted(items)))
        elif how == "sensor":
            elements = []
            for element in value:
                text = "sensorElement"
                if isinstance(element.get("sensorMetadata"), dict):
                    text += "sensorMetadata" + _ordered(element["sensorMetadata"], _SENSOR_META, context, "m")
                reports = sorted(
                    "sensorReport" + _ordered(r, _SENSOR_REPORT, context, "sensorReport")
                    for r in element.get("sensorReport", [])
                )
                text += "".join(reports)
                text += "".join(
                    sorted(
                        _ext(k, v, context)
                        for k, v in element.items()
                        if k not in ("sensorMetadata", "sensorReport")
                    )
                )
                elements.append(text)
            parts.append(name + "".join(sorted(elements)))
        elif how == "ext":
            parts.append(name + "".join(sorted(_ext(k, v, context) for k, v in value.items())))
    known = {n for n, _h in _ORDER} | _IGNORED
    parts.extend(sorted(_ext(k, v, context) for k, v in event.items() if k not in known))
    return "".join(parts)


def event_hash(event: dict, context: dict[str, str] | None = None) -> str:
    """`ni:///sha-256;…?ver=CBV2.0` of the event."""
    digest = hashlib.sha256(pre_hash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
