"""System sticker serials (pure).

A package without a unique code (only an EAN-13, or nothing) gets a sticker issued by the
system. Its serial is 12 random characters of Crockford's base-32 alphabet (no I, L, O, U:
nothing to confuse when read aloud or typed) plus one check character:

* random from `secrets`, never sequential, so serials cannot be guessed from one another;
* the first character is a letter, so a serial is never all digits (never mistaken for a
  GTIN) and never starts like a GS1 element string;
* check character: Crockford's mod-37 of the 12-character value. Crockford maps residues
  32–36 to ``* ~ $ = U``; to keep every character typeable and URL-safe we instead draw a
  new serial when the residue is ≥ 32 (13.5 % of draws). Verification is still mod 37 (a
  prime), so every single-character error and every swap of two adjacent characters is
  caught.

Typed forms are forgiving: lower case, hyphens and spaces are ignored, and I/L read as 1 and
O as 0, as Crockford specifies. The URL form is ``https://<host>/p/<serial>``.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LETTERS = "ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 12
LENGTH = BODY_LENGTH + 1
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None})


def _residue(body: str) -> int:
    value = 0
    for c in body:
        value = value * 32 + _VALUE[c]
    return value % 37


def sticker_serial_new() -> str:
    """A fresh random sticker serial (13 characters, canonical form)."""
    while True:
        body = secrets.choice(LETTERS) + "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH - 1))
        check = _residue(body)
        if check < 32:
            return body + ALPHABET[check]


def sticker_serial_normalise(text: str) -> str | None:
    """The canonical serial for a typed one (case, hyphens, spaces, I/L/O forgiven), or None
    when `text` does not have the shape of a serial. The check character is not verified."""
    serial = text.upper().translate(_TYPED)
    if len(serial) != LENGTH or serial[0] not in LETTERS:
        return None
    for c in serial:
        if c not in _VALUE:
            return None
    return serial


def sticker_check_ok(serial: str) -> bool:
    """Whether a canonical-shaped serial has the right check character."""
    return _VALUE[serial[-1]] == _residue(serial[:-1])


def sticker_serial_is_valid(text: str) -> bool:
    """Whether `text` (canonical or typed) is a sticker serial with the right check character."""
    serial = sticker_serial_normalise(text) if isinstance(text, str) else None
    return serial is not None and sticker_check_ok(serial)


def sticker_serial_display(serial: str) -> str:
    """The serial in groups of four for printing under the code: ``KQ7M-2X9D-HT4R-P``."""
    return "-".join(serial[i : i + 4] for i in range(0, len(serial), 4))


def sticker_url(serial: str, base_url: str) -> str:
    """The URL printed in the sticker's 2D code: any phone camera opens the check page."""
    canonical = sticker_serial_normalise(serial)
    if canonical is None or not sticker_check_ok(canonical):
        raise ValueError(f"not a sticker serial: {serial!r}")
    return f"{base_url.rstrip('/')}/p/{canonical}"
