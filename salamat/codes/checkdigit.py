"""Check digits (pure): GS1 mod 10 for GTIN, GLN and SSCC, and every algorithm a labelling
scheme may name (`ALGORITHMS`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def gs1_check_digit(body: str) -> int:
    """The GS1 check digit for the digits of `body` (everything but the check digit)."""
    total = 0
    # Weights 3,1,3,1... from the right-most digit of the body.
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    return code.isdigit() and len(code) >= 2 and gs1_check_digit(code[:-1]) == int(code[-1])


def gtin_to_14(gtin: str) -> str:
    """GTIN-8/12/13/14 left-padded to 14 digits (no validation)."""
    return gtin.zfill(14)


def is_valid_gtin(code: str) -> bool:
    return len(code) in (8, 12, 13, 14) and has_valid_check_digit(code)


def is_valid_gln(code: str) -> bool:
    return len(code) == 13 and has_valid_check_digit(code)


def is_valid_sscc(code: str) -> bool:
    return len(code) == 18 and has_valid_check_digit(code)


# --- every check-digit algorithm a labelling scheme may name -----------------------------------
#
# A scheme says which algorithm guards which part of its code (the product code, the serial...).
# Each algorithm knows how many trailing characters it takes (`width`) and computes them from
# the rest of the part (the body); a part is valid when its last `width` characters are the
# ones computed. Names are stable: they are stored in the registry.

_MOD43 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_MOD43_VALUE = {ch: i for i, ch in enumerate(_MOD43)}


def luhn_check_digit(body: str) -> str:
    """The Luhn (ISO/IEC 7812) digit: every second digit from the right of the body doubled."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _iso7064_number(text: str) -> int:
    # Letters count as two digits, A = 10 ... Z = 35 (as in the IBAN).
    return int("".join(str(int(ch, 36)) for ch in text.upper()))


def iso7064_mod97_10(body: str) -> str:
    """ISO/IEC 7064 MOD 97-10: two digits making body+digits ≡ 1 (mod 97)."""
    return f"{98 - _iso7064_number(body + '00') % 97:02d}"


def ifa_ppn_mod97(body: str) -> str:
    """The IFA PPN check: sum of each character's ASCII code times its weight (2, 3, 4... from the
    left), mod 97, as two digits (PPN = "11" + PZN + these two digits)."""
    return f"{sum(ord(ch) * (i + 2) for i, ch in enumerate(body)) % 97:02d}"


def mod11_check(body: str) -> str:
    """Modulus 11 with weights 2, 3, 4... from the right-most body digit (ISBN-10 for nine-digit
    bodies): 11 − sum mod 11, where 10 is written X and 11 is 0."""
    total = sum(int(ch) * (i + 2) for i, ch in enumerate(reversed(body)))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def hibc_mod43(body: str) -> str:
    """The HIBC (Code 39) modulus 43 check character over 0-9 A-Z - . space $ / + %."""
    return _MOD43[sum(_MOD43_VALUE[ch] for ch in body) % 43]


@dataclass(frozen=True)
class CheckAlgorithm:
    """One check-digit algorithm: `width` trailing characters computed from the body by `compute`;
    `alphabet` is what the body may hold."""

    name: str
    width: int
    compute: Callable[[str], str] | None
    alphabet: str

    def is_valid(self, part: str) -> bool:
        """True when the last `width` characters of `part` are the check of the rest."""
        if self.compute is None:
            return True
        if len(part) <= self.width:
            return False
        body, check = part[: -self.width], part[-self.width :]
        if any(ch not in self.alphabet for ch in body):
            return False
        return self.compute(body) == check


_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

ALGORITHMS: dict[str, CheckAlgorithm] = {
    a.name: a
    for a in (
        CheckAlgorithm("none", 0, None, ""),
        CheckAlgorithm("gs1_mod10", 1, lambda body: str(gs1_check_digit(body)), _DIGITS),
        CheckAlgorithm("luhn", 1, luhn_check_digit, _DIGITS),
        CheckAlgorithm("iso7064_mod97_10", 2, iso7064_mod97_10, _ALNUM),
        # Printable ASCII, as the IFA specification allows in a PPN body.
        CheckAlgorithm("ifa_ppn_mod97", 2, ifa_ppn_mod97, "".join(map(chr, range(0x21, 0x7F)))),
        CheckAlgorithm("mod11", 1, mod11_check, _DIGITS),
        CheckAlgorithm("hibc_mod43", 1, hibc_mod43, _MOD43),
    )
}


def check_is_valid(algorithm: str, part: str) -> bool:
    """`part` ends with the check computed by `algorithm` (KeyError for an unknown name)."""
    return ALGORITHMS[algorithm].is_valid(part)
