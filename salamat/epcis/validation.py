"""Reading a capture body: JSON/JSON-LD against the official JSON Schema, XML against the
XSD (local copies in `standard/`, loaded once), both into the JSON-LD document shape.

A JSON document is checked once, by a compiled validator (jsonschema-rs, about a hundred
times faster than `jsonschema` on a 10,000-event document). Only when it finds the document
invalid does `jsonschema` look again, to report the errors in their usual form — and its
verdict is the one that counts, so the fast check can only save time, never refuse."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from django.utils.translation import gettext as _
from lxml import etree

from salamat.core.errors import ValidationFailed
from salamat.epcis import xmlconv

STANDARD_DIR = Path(__file__).resolve().parent / "standard"
MAX_REPORTED_ERRORS = 50
# Deepest nesting of objects and arrays a JSON document may have. A standard event is about eight
# levels deep; extensions add a few. Deeper input is refused before anything recurses over it.
MAX_JSON_DEPTH = 64


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    # RFC 3986 shape: a scheme, a colon, no white space (jsonschema's own check needs an extra package).
    return not isinstance(value, str) or bool(_URI.match(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.tzinfo is not None and "T" in value.upper()


@cache
def _json_schema() -> dict:
    return json.loads((STANDARD_DIR / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))


@cache
def json_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_json_schema(), format_checker=_FORMATS)


def _is_date_time_checked(value: str) -> bool:
    try:
        return _is_date_time(value)
    except ValueError:
        return False


@cache
def fast_json_validator() -> jsonschema_rs.Draft7Validator:
    """The same schema, compiled, with our date-time check and the validator's own `uri` check:
    RFC 3986's, stricter than `_is_uri` (every URI it accepts has a scheme and no white space)
    and without a call into Python for each of a document's many URIs. A URI only `_is_uri`
    accepts makes the fast check fail, and `jsonschema` then judges the document."""
    return jsonschema_rs.Draft7Validator(
        _json_schema(), formats={"date-time": _is_date_time_checked}, validate_formats=True
    )


def _fast_valid(document: Any) -> bool:
    try:
        return fast_json_validator().is_valid(document)
    except Exception:  # noqa: BLE001 - anything it cannot take (NaN, …) is for jsonschema to judge
        return False


@cache
def xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(STANDARD_DIR / "xsd" / "EPCglobal-epcis-2_0.xsd")))


@cache
def xml_query_schema() -> etree.XMLSchema:
    """The schema of query answers (EPCISQueryDocument; it imports the capture schema)."""
    return etree.XMLSchema(etree.parse(str(STANDARD_DIR / "xsd" / "EPCglobal-epcis-query-2_0.xsd")))


def _invalid(code: str, message: str, errors: list[dict]) -> ValidationFailed:
    return ValidationFailed(code, message, details={"errors": errors[:MAX_REPORTED_ERRORS]})


def schema_errors(document: Any) -> list[dict[str, str]]:
    """Every JSON Schema violation, as {path, message}."""
    if _fast_valid(document):
        return []
    found = []
    for err in json_validator().iter_errors(document):
        found.append(
            {"path": "/" + "/".join(str(p) for p in err.absolute_path), "message": err.message[:300]}
        )
        if len(found) >= MAX_REPORTED_ERRORS:
            break
    return found


def _too_deep() -> ValidationFailed:
    return _invalid(
        "json_too_deep",
        _("The document nests objects and arrays more than %(limit)d levels deep.")
        % {"limit": MAX_JSON_DEPTH},
        [{"path": "/", "message": f"deeper than {MAX_JSON_DEPTH} levels"}],
    )


def _check_shape(document: Any, body: bytes) -> None:
    """Refuses nesting deeper than `MAX_JSON_DEPTH` and a null character in any string or key
    (PostgreSQL's jsonb cannot store one), walking the document without recursion."""
    # JSON writes a null character only as the escape \u0000: look for strings only when it occurs.
    strings = b"\\u0000" in body
    stack: list[tuple[Any, int, str]] = [(document, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            for key, item in value.items():
                if strings and "\x00" in key:
                    raise _null_character(f"{path}/{key}")
                if isinstance(item, dict | list) or (strings and isinstance(item, str)):
                    stack.append((item, depth + 1, f"{path}/{key}"))
        elif isinstance(value, list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            for i, item in enumerate(value):
                if isinstance(item, dict | list) or (strings and isinstance(item, str)):
                    stack.append((item, depth + 1, f"{path}/{i}"))
        elif isinstance(value, str) and "\x00" in value:
            raise _null_character(path)


def _null_character(path: str) -> ValidationFailed:
    return _invalid(
        "null_character",
        _("The document contains a null character (\\u0000), which no EPCIS value may hold."),
        [{"path": path or "/", "message": "null character"}],
    )


def read_json(body: bytes) -> dict[str, Any]:
    """A JSON/JSON-LD EPCIS document, schema-valid, or `ValidationFailed`."""
    try:
        document = json.loads(body)
    except RecursionError as exc:
        raise _too_deep() from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(
            "malformed_json", _("The body is not valid JSON."), [{"path": "/", "message": str(exc)}]
        ) from exc
    _check_shape(document, body)
    if not isinstance(document, dict) or document.get("type") != "EPCISDocument":
        raise _invalid(
            "not_an_epcis_document",
            _("The body is not an EPCIS document (type must be EPCISDocument)."),
            [{"path": "/type", "message": "expected EPCISDocument"}],
        )
    if "@context" not in document:
        raise _invalid(
            "schema_invalid",
            _("The document does not conform to the EPCIS 2.0 JSON Schema."),
            [{"path": "/@context", "message": "'@context' is a required property"}],
        )
    errors = schema_errors(document)
    if errors:
        raise _invalid(
            "schema_invalid", _("The document does not conform to the EPCIS 2.0 JSON Schema."), errors
        )
    return document


def read_xml(body: bytes) -> dict[str, Any]:
    """An XML EPCIS document, XSD-valid, converted to the JSON-LD shape, or `ValidationFailed`."""
    try:
        root = etree.fromstring(body, xmlconv.parser())
    except etree.XMLSyntaxError as exc:
        raise _invalid(
            "malformed_xml", _("The body is not well-formed XML."), [{"path": "/", "message": str(exc)}]
        ) from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or root.getroottree().docinfo.system_url):
        # Entities and external DTDs are never expanded or loaded: a document that needs them is
        # refused (a bare DOCTYPE, as some tools write, is harmless).
        raise _invalid(
            "xml_dtd_refused",
            _("XML documents that declare entities or an external DTD are not accepted."),
            [{"path": "/", "message": "DOCTYPE with entity declarations"}],
        )
    schema = xml_schema()
    if not schema.validate(root):
        errors = [{"path": f"line {e.line}", "message": e.message[:300]} for e in schema.error_log]
        raise _invalid(
            "schema_invalid", _("The document does not conform to the EPCIS 2.0 XML Schema."), errors
        )
    return xmlconv.document_from_xml(root)
