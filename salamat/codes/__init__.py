"""Package codes (pure: no Django). Parsing, normalising and rendering any package code.

Every scanned string becomes one ``ParsedCode`` whose ``key`` is the canonical package
identity used everywhere in the database, or a ``CodeError`` with a stable ``code``.

Canonical keys
--------------
* **SGTIN** (a unique GS1 package) — ``01/<gtin14>/21/<serial>``: the GS1 Digital Link
  path. The GTIN is always 14 digits (GTIN-8/12/13 left-padded with zeros), the serial is
  kept exactly as encoded (case-sensitive, unescaped, 1–20 characters of GS1 set 82). The
  same package read as a DataMatrix element string (with or without ``]d2``/``]C1``/``]Q3``/
  ``]e0``, GS or a stand-in separator, any AI order), as ``(01)…(21)…`` text, as a Digital
  Link URI on any host, or as ``urn:epc:id:sgtin:`` gives the same key.
* **SSCC** (a box or pallet) — ``00/<sscc18>``: from AI 00, a Digital Link ``/00/``, an
  ``urn:epc:id:sscc:`` URN, or 18 plain digits with a right check digit.
* **STICKER** (issued by the system) — ``sticker:<serial>``: 13 Crockford base-32
  characters with a check character, from ``https://<host>/p/<serial>`` or typed by hand.
* **OTHER** (a manufacturer's scheme registered as data) — ``<scheme>:<serial>`` or
  ``<scheme>:<product>/<serial>``.

Batch (AI 10) and expiry (AI 17; DD=00 is the month's last day) are data, never identity;
so are verification tails (AI 91/92/93, EAEU crypto codes) and any other AI, kept in
``extra`` by AI. A plain GTIN/EAN with no serial is refused with ``needs_sticker``: it names
a product, not a package.

Scanner mishaps undone when the reading is unambiguous: a symbology identifier in front,
FNC1 sent as a leading GS, GS typed as ``<GS>``/``~``/``|``/``^``/``#``/``@``/``\\x1d``…
(see `normalise`), and a whole code typed through the Russian keyboard layout ("ФИС" for
"ABC"; Cyrillic can never be GS1 data).

Errors: ``empty``, ``too_long`` (> 512 characters), ``unknown_format``, ``bad_check_digit``,
``missing_serial``, ``bad_date``, ``bad_gtin``, ``bad_serial``, ``bad_sscc``,
``needs_sticker``.

Speed: a strict fast path reads the dominant forms (element strings of 00/01/10/11/15/16/
17/21/91/92/93, Digital Link on 01/00) with every check; everything else goes to ``biip``.
Property tests prove that both agree.
"""

from salamat.codes.epc import render_epc_urn
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.codes.parser import MAX_LENGTH, parse, parse_many, parse_reference
from salamat.codes.render import render_digital_link, render_element_string, render_hri
from salamat.codes.schemes import SchemeSpec
from salamat.codes.sticker import (
    sticker_serial_display,
    sticker_serial_is_valid,
    sticker_serial_new,
    sticker_serial_normalise,
    sticker_url,
)

__all__ = [
    "MAX_LENGTH",
    "CodeError",
    "CodeKind",
    "ParsedCode",
    "SchemeSpec",
    "parse",
    "parse_many",
    "parse_reference",
    "render_digital_link",
    "render_element_string",
    "render_epc_urn",
    "render_hri",
    "sticker_serial_display",
    "sticker_serial_is_valid",
    "sticker_serial_new",
    "sticker_serial_normalise",
    "sticker_url",
]
