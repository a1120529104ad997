from hypothesis import given
from hypothesis import strategies as st

from salamat.sickleave.numbering import is_valid_number, luhn_check_digit, new_number


def test_known_luhn_value():
    # 7992739871 + 3 is the textbook Luhn example
    assert luhn_check_digit("7992739871") == 3


def test_new_numbers_are_valid_and_random():
    numbers = {new_number() for _ in range(200)}
    assert len(numbers) == 200
    assert all(is_valid_number(n) and len(n) == 12 and n[0] != "0" for n in numbers)


@given(st.from_regex(r"\A[1-9]\d{10}\Z"), st.integers(min_value=0, max_value=11), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(body, position, delta):
    number = body + str(luhn_check_digit(body))
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert is_valid_number(number)
    assert not is_valid_number(typo)


def test_malformed_numbers_are_invalid():
    assert not is_valid_number("")
    assert not is_valid_number("12345")
    assert not is_valid_number("abcdefghijkl")
