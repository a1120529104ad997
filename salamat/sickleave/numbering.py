"""National sick-leave numbers: 11 random digits + a Luhn check digit (pure).

Random rather than sequential because the public verification endpoint accepts a
number: sequential numbers would let anyone enumerate certificates and read the
country's daily sick-leave volume off consecutive numbers. 10^11 numbers make a
collision rare; the database's unique index catches it and the service retries.
The Luhn digit catches every single-digit typo and most transpositions when an
employer types the number from a printout.
"""

from __future__ import annotations

import re
import secrets

NUMBER_LENGTH = 12
_NUMBER = re.compile(r"^\d{12}$")


def luhn_check_digit(body: str) -> int:
    """The Luhn digit that makes `body + digit` valid."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: these become the odd positions once the digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_valid_number(number: str) -> bool:
    """True if `number` is 12 digits whose last digit is the Luhn digit of the first 11."""
    return bool(_NUMBER.match(number or "")) and luhn_check_digit(number[:-1]) == int(number[-1])


def new_number() -> str:
    """A fresh random number; the first digit is never 0 so the number keeps 12 digits everywhere."""
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(10))
    return body + str(luhn_check_digit(body))
