"""Undoing what scanners do to a GS1 string before it reaches us (pure).

* the symbology identifier (``]d2``, ``]C1``, ``]Q3``, ``]e0``…) is split off;
* FNC1 as the first character (sent as GS by some scanners) is dropped;
* a group separator typed as something else by a misconfigured keyboard-wedge scanner is
  turned back into GS (0x1D) — but only when the reading is unambiguous: the string has no
  real GS, and exactly one kind of substitute occurs. Single-character substitutes
  (``~ | ^ # @``, ␝) are outside GS1 character set 82, so they can never be data; the
  textual ones (``<GS>``, ``{GS}``, ``\\x1d``, ``\\u001d``, ``^]``…) are what scanner set-up
  tools and escaped logs produce. ``<GS>``, ``<FNC1>`` and ``<0x1D>`` are made of set-82
  characters, so a serial *could* hold them; none does in practice, while scanners send
  them every day, so they are read as separators (the property tests keep them out of
  generated values for that reason).
"""

from __future__ import annotations

import re

GS = "\x1d"

# Textual stand-ins for GS, matched case-insensitively. The longer ones come first so that
# the single "^" never eats the "^" of "^]".
_TEXT_SUBSTITUTES = re.compile(
    r"<GS>|\{GS\}|\[GS\]|<FNC1>|\{FNC1\}|\[FNC1\]|<0x1D>|\\{1,2}x1D|\\{1,2}u001D|\\{1,2}035|\^\]",
    re.IGNORECASE,
)
_CHAR_SUBSTITUTES = "~|^#@\u241d"


class AmbiguousSeparators(ValueError):
    """The string holds more than one kind of separator stand-in."""


def split_symbology(s: str) -> tuple[str | None, str]:
    """(symbology identifier without "]", rest) — identifier is None when absent."""
    if len(s) >= 3 and s[0] == "]" and s[1].isascii() and s[1].isalpha():
        return s[1:3], s[3:]
    return None, s


def normalise_separators(s: str) -> str:
    """`s` with stand-ins for GS turned into GS; raises AmbiguousSeparators when unsure."""
    if GS in s:
        return s
    kinds = {m.lower() for m in _TEXT_SUBSTITUTES.findall(s)}
    if len(kinds) > 1:
        raise AmbiguousSeparators(s)
    if kinds:
        s = _TEXT_SUBSTITUTES.sub(GS, s)
    chars = [c for c in _CHAR_SUBSTITUTES if c in s]
    if not chars:
        return s
    if len(chars) > 1 or kinds:
        raise AmbiguousSeparators(s)
    return s.replace(chars[0], GS)


# A keyboard-wedge scanner types key presses, so with the Russian (ЙЦУКЕН) layout active it
# types "ФИС" for "ABC" — common on computers in the region. Cyrillic letters are outside
# set 82 and can never be GS1 data, so a string holding them is read back key by key.
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбю.ё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё" + '"№;:?/'
_US_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?~' + "@#$^&|"
RU_TO_US = str.maketrans(_RU_KEYS, _US_KEYS)
US_TO_RU = str.maketrans(_US_KEYS, _RU_KEYS)


def from_russian_layout(s: str) -> str | None:
    """`s` as the keys pressed would read on a US layout, when `s` was visibly typed with the
    Russian layout (it holds Cyrillic letters); None otherwise."""
    if s.isascii() or not any("\u0400" <= c <= "\u04ff" for c in s):
        return None
    fixed = s.translate(RU_TO_US)
    return fixed if fixed.isascii() else None
