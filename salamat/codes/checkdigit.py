"""GS1 mod-10 check digits for GTIN, GLN and SSCC (pure)."""

from __future__ import annotations


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
