"""Writing a ParsedCode back out (pure): element string, HRI, GS1 Digital Link URI.

Element order follows common practice: the identifier, then the fixed-length elements
(dates), then the variable-length ones (batch, serial, then the verification tails last),
so that a separator is needed only between variable-length elements.
"""

from __future__ import annotations

from urllib.parse import quote

from salamat.codes.gs1 import AI_TABLE, gs1_date_string
from salamat.codes.model import CodeKind, ParsedCode


def _elements(parsed: ParsedCode) -> list[tuple[str, str]]:
    if parsed.kind == CodeKind.SGTIN and parsed.gtin and parsed.serial:
        head = [("01", parsed.gtin)]
    elif parsed.kind == CodeKind.SSCC and parsed.sscc:
        head = [("00", parsed.sscc)]
    else:
        raise ValueError(f"a {parsed.kind} code has no GS1 element string")
    fixed: list[tuple[str, str]] = []
    variable: list[tuple[str, str]] = []
    if parsed.expiry is not None:
        fixed.append(("17", gs1_date_string(parsed.expiry)))
    if parsed.batch is not None:
        variable.append(("10", parsed.batch))
    if parsed.kind == CodeKind.SGTIN:
        variable.append(("21", parsed.serial or ""))
    for ai in sorted(parsed.extra):
        spec = AI_TABLE.get(ai)
        if spec is None:
            continue  # not a GS1 AI (e.g. a scheme's note): not part of a GS1 string
        (variable if spec.separator_required else fixed).append((ai, parsed.extra[ai]))
    return head + fixed + variable


def render_element_string(parsed: ParsedCode, *, fnc1: str = "\x1d", symbology_id: bool = False) -> str:
    """The GS1 element string (as a DataMatrix scanner reads it), `fnc1` after every
    variable-length element but the last; ``]d2`` in front when `symbology_id`."""
    parts: list[str] = []
    elements = _elements(parsed)
    for i, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        if AI_TABLE[ai].separator_required and i < len(elements) - 1:
            parts.append(fnc1)
    return ("]d2" if symbology_id else "") + "".join(parts)


def render_hri(parsed: ParsedCode) -> str:
    """The human-readable interpretation printed under a code: ``(01)…(17)…(10)…(21)…``."""
    return "".join(f"({ai}){value}" for ai, value in _elements(parsed))


def render_digital_link(parsed: ParsedCode, host: str = "https://id.gs1.org") -> str:
    """The GS1 Digital Link URI: key and key qualifiers (22, 10, 21) in the path, the rest
    as query parameters, every value percent-encoded."""
    elements = _elements(parsed)
    path_ais = ("01", "22", "10", "21") if parsed.kind == CodeKind.SGTIN else ("00",)
    values = dict(elements)
    path = "".join(f"/{ai}/{quote(values[ai], safe='')}" for ai in path_ais if ai in values)
    query = "&".join(f"{ai}={quote(value, safe='')}" for ai, value in elements if ai not in path_ais)
    return host.rstrip("/") + path + ("?" + query if query else "")
