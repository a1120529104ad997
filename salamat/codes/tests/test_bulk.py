"""The bulk readers (`fast.lean_keys`, `lean_many`, `lean_groups`) answer, code by code, exactly
what `lean_key` and `lean` answer one code at a time — on requests mixing the usual shape with
other layouts, bad serials, bad check digits and dates, mutations and arbitrary strings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from salamat.codes import fast, parse_many
from salamat.codes.tests.strategies import CSET82, GS, element_strings, serials, sgtins
from salamat.codes.tests.test_properties import SETTINGS

GTIN = "04700000000012"  # check digit right
BAD_GTIN = "04700000000013"

shapes = st.sampled_from(
    [
        f"01{GTIN}17301231101ABCDE{GS}21",  # the usual DataMatrix layout
        f"]d201{GTIN}17301231101ABCDE{GS}21",
        f"01{GTIN}10B{GS}21",
        f"01{GTIN}{GS}21",
        f"01{GTIN}17301200{GS}21",  # day 00: the last day of the month
        f"01{GTIN}1130123110B{GS}21",
        f"01{GTIN}17301299{GS}21",  # no calendar date
        f"01{BAD_GTIN}17301231{GS}21",
        f"01{GTIN}21X{GS}21",  # a serial twice
        f"01{GTIN}17301231{GS}91AB{GS}21",  # a tail before the serial: not a lean order
        f"01{GTIN}1730123110{GS}21",  # an empty batch
        f"01{GTIN}17301231\n10B{GS}21",  # a newline inside
        f"{GS}21",
        "",
    ]
)
odd_serials = serials | st.sampled_from(["", "<", "A<B", "x" * 21, "A" + GS + "91XY", "\n", "ÄB", "A B"])
tails = st.sampled_from(["", "", "", f"{GS}91XY", f"{GS}17301231", GS, " "])


@st.composite
def requests(draw) -> list:
    """A request: mostly codes of a few shapes that differ only in their serials, plus others."""
    mostly = draw(st.lists(shapes, min_size=1, max_size=3))
    out = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 9))
        if kind < 6:
            out.append(draw(st.sampled_from(mostly)) + draw(serials) + draw(tails))
        elif kind == 6:
            out.append(draw(shapes) + draw(odd_serials))
        elif kind == 7:
            out.append(draw(element_strings(draw(sgtins()))))
        elif kind == 8:
            out.append(draw(st.text(CSET82 + GS + "\n ]", max_size=60)))
        else:
            raw = draw(st.sampled_from(mostly)) + draw(serials)
            i = draw(st.integers(0, len(raw)))
            out.append(raw[:i] + draw(st.sampled_from(["0", "2", GS, "\n", "<", "]"])) + raw[i + 1 :])
    return out


@SETTINGS
@given(raws=requests())
def test_bulk_readers_answer_as_the_code_by_code_ones(raws):
    assert fast.lean_keys(raws) == [fast.lean_key(raw) for raw in raws]
    assert fast.lean_many(raws) == [fast.lean(raw) for raw in raws]
    groups = fast.lean_groups(raws)
    one_by_one = [fast.lean(raw) for raw in raws]
    if groups is None:
        return
    assert None not in one_by_one
    # Every code is in one group, and the group's reading is the code's own but for its serial,
    # key and raw.
    keys = [key for _sample, group_keys in groups for key in group_keys]
    assert sorted(keys) == sorted(p.key for p in one_by_one)
    for sample, group_keys in groups:
        facts = (sample.gtin, sample.batch, sample.expiry, sample.kind, sorted(sample.extra.items()))
        readings = [(p.key, (p.gtin, p.batch, p.expiry, p.kind, sorted(p.extra.items()))) for p in one_by_one]
        assert all((key, facts) in readings for key in group_keys)


SEP = "\x1e"


@st.composite
def one_shape_requests(draw) -> list:
    """A request of one shape, as a pallet of one batch gives, with now and then an odd code."""
    shape = draw(shapes)
    out = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(st.integers(0, 12))
        if kind < 9:
            out.append(shape + draw(serials))
        elif kind == 9:
            out.append(shape + draw(odd_serials) + draw(tails))
        elif kind == 10:
            out.append(draw(shapes) + draw(serials))
        elif kind == 11:
            out.append(shape + draw(serials) + draw(st.sampled_from(["\n", SEP, GS])) + draw(serials))
        else:
            raw = shape + draw(serials)
            i = draw(st.integers(0, len(raw)))
            out.append(raw[:i] + draw(st.sampled_from(["0", "2", GS, "\n", SEP, "<"])) + raw[i + 1 :])
    return out


@SETTINGS
@given(raws=one_shape_requests() | requests())
def test_the_joined_keys_are_the_code_by_code_keys_joined(raws):
    one_by_one = [fast.lean_key(raw) for raw in raws]
    joined = fast.lean_keys_joined(raws, SEP)
    if joined is not None:
        assert None not in one_by_one
        assert joined == SEP.join(one_by_one)
    # The usual request (one shape, every code read, each ending in "<GS>21" and its serial) is
    # always answered. (A code with no GS before its serial, "01<GTIN>21<serial>", is left to
    # `lean_keys`: hypothesis found "0100000000000000210", once.)
    parts = [raw.rpartition(GS + "21") for raw in raws]
    if (
        raws
        and None not in one_by_one
        and all(at for _prefix, at, _serial in parts)
        and len({prefix for prefix, _at, _serial in parts}) == 1
        and all(fast._SERIAL.fullmatch(serial) for _prefix, _at, serial in parts)
    ):
        assert joined == SEP.join(one_by_one)
    assert fast.lean_keys(raws) == one_by_one


def test_a_code_with_no_gs_before_its_serial_is_left_to_the_code_by_code_reader():
    raws = ["0100000000000000210"]  # GTIN 00000000000000, serial "0": no GS anywhere
    assert fast.lean_keys_joined(raws, SEP) is None
    assert fast.lean_keys(raws) == ["01/00000000000000/21/0"]


def test_a_serial_holding_a_newline_is_not_read_as_two():
    # Regression: the bulk readers joined the serials with newlines to check them with one regex,
    # so "A<LF>B" passed as the two good serials "A" and "B", and a 100-code introduction by the
    # fast path would have stored a package whose serial holds a newline.
    head = f"01{GTIN}17301231101ABC{GS}21"
    raws = [head + "A\nB", *(head + f"S{i}" for i in range(3))]
    assert fast.lean_key(raws[0]) is None
    assert fast.lean_keys(raws) == [None, *(f"01/{GTIN}/21/S{i}" for i in range(3))]
    assert fast.lean_many(raws)[0] is None
    assert fast.lean_groups(raws) is None
    assert fast.lean_keys_joined(raws, SEP) is None


def test_joined_keys_of_the_usual_request_and_of_others():
    raws = [f"01{GTIN}17301231101ABCDE{GS}21S{i:07d}" for i in range(1000)]
    assert fast.lean_keys_joined(raws, SEP) == SEP.join(f"01/{GTIN}/21/S{i:07d}" for i in range(1000))
    assert fast.lean_keys_joined([], SEP) is None
    assert fast.lean_keys_joined([*raws[:3], None], SEP) is None  # not all str
    assert fast.lean_keys_joined([None, *raws[:3]], SEP) is None
    two_batches = [*raws[:3], f"01{GTIN}17301231102XYZ{GS}21S1"]
    assert fast.lean_keys_joined(two_batches, SEP) is None  # two shapes: lean_keys reads them
    assert fast.lean_keys(two_batches)[3] == f"01/{GTIN}/21/S1"
    assert fast.lean_keys_joined([*raws[:3], raws[0] + SEP + raws[1]], SEP) is None  # the separator inside
    assert fast.lean_keys_joined([f"01{BAD_GTIN}17301231{GS}21A"] * 3, SEP) is None  # shape not read
    assert fast.lean_keys_joined([f"01{GTIN}17301231{GS}21" + "x" * 21], SEP) is None  # serial too long
    assert fast.lean_keys_joined([f"01{GTIN}17301231{GS}21A{GS}21B"], SEP) is None  # a serial twice


def test_bulk_readers_on_the_usual_request_and_on_non_strings():
    raws = [f"01{GTIN}17301231101ABCDE{GS}21S{i:07d}" for i in range(1000)]
    assert fast.lean_keys(raws) == [f"01/{GTIN}/21/S{i:07d}" for i in range(1000)]
    assert fast.lean_many(raws) == [fast.lean(raw) for raw in raws]
    [(sample, keys)] = fast.lean_groups(raws)
    assert (sample.batch, str(sample.expiry), len(keys)) == ("1ABCDE", "2030-12-31", 1000)
    mixed = [*raws[:3], None, 5, b"01"]
    assert fast.lean_keys(mixed) == [fast.lean_key(raw) for raw in mixed]
    assert fast.lean_many(mixed) == [fast.lean(raw) for raw in mixed]
    assert fast.lean_groups(mixed) is None
    assert fast.lean_keys([]) == fast.lean_many([]) == []
    assert fast.lean_groups([]) is None
    # parse_many reads a request in bulk: every code as `parse` reads it, errors in their places.
    request = [*raws[:5], f"01{BAD_GTIN}17301231{GS}21A", "garbage", raws[0]]
    parsed = parse_many(request)
    assert parsed[:5] == [fast.lean(raw) for raw in raws[:5]] and parsed[7] == parsed[0]
    assert parsed[5].code == "bad_check_digit" and parsed[6].code == "unknown_format"
