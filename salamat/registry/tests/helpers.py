"""Valid and broken identifiers for the registry tests."""

from __future__ import annotations

from salamat.codes.checkdigit import gs1_check_digit


def gtin13(n: int) -> str:
    """A valid GTIN-13 under the test range 471…"""
    body = f"471{n:09d}"
    return body + str(gs1_check_digit(body))


def gln13(n: int) -> str:
    body = f"472{n:09d}"
    return body + str(gs1_check_digit(body))


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)
