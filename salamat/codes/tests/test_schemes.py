"""Labelling schemes, pure: check digits (tables), ISO/IEC 15434 envelopes, one key per pack
in every accepted form (hypothesis), refusals, collisions and slow patterns."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salamat.codes import CodeError, CodeKind, parse, parse_many
from salamat.codes import scheme_check as sc
from salamat.codes.checkdigit import ALGORITHMS, check_is_valid
from salamat.codes.envelope import render_envelope
from salamat.codes.schemes import (
    ProductRef,
    SchemeDefinitionError,
    SchemeSet,
    SchemeSpec,
    scheme_uri,
    uri_to_key,
)
from salamat.codes.shipped import CN_DRUG, IFA, spec_of

RS, GS, EOT = "\x1e", "\x1d", "\x04"

# --- check digits: published examples ------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "valid", "invalid"),
    [
        ("gs1_mod10", "4601234567893", "4601234567894"),
        ("luhn", "79927398713", "79927398710"),
        ("luhn", "4111111111111111", "4111111111111112"),
        ("iso7064_mod97_10", "79444", "79445"),  # ISO/IEC 7064 example: 794 -> 44
        ("iso7064_mod97_10", "3214282912345698765432161182", "3214282912345698765432161183"),
        ("ifa_ppn_mod97", "110375286414", "110375286415"),  # IFA specification example, PZN 03752864
        ("mod11", "0306406152", "0306406153"),  # ISBN-10
        ("mod11", "080442957X", "0804429570"),  # ISBN-10 with X
        ("hibc_mod43", "+A123BJC5D6E71G", "+A123BJC5D6E71H"),  # HIBC LIC example
        ("none", "anything", None),
    ],
)
def test_check_digit_tables(algorithm, valid, invalid):
    assert check_is_valid(algorithm, valid)
    if invalid is not None:
        assert not check_is_valid(algorithm, invalid)


@pytest.mark.parametrize("algorithm", sorted(set(ALGORITHMS) - {"none"}))
@given(data=st.data())
def test_computed_checks_verify_and_a_changed_one_does_not(algorithm, data):
    algo = ALGORITHMS[algorithm]
    alphabet = "0123456789" if algo.alphabet.isdigit() else "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    body = data.draw(st.text(alphabet=alphabet, min_size=1, max_size=20))
    check = algo.compute(body)
    assert len(check) == algo.width and algo.is_valid(body + check)
    wrong = data.draw(st.text(alphabet=algo.alphabet or "0", min_size=algo.width, max_size=algo.width))
    if wrong != check:
        assert not algo.is_valid(body + wrong)


# --- the shipped schemes --------------------------------------------------------------------

PPN = "110375286414"
MAPPED = {PPN: ProductRef("04601234567893", "11111111-1111-1111-1111-111111111111")}
SCHEMES = SchemeSet([spec_of(IFA, MAPPED), spec_of(CN_DRUG, {})], validated=True)
SERIAL = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=20)


def _ppn(pzn: str) -> str:
    body = "11" + pzn
    return body + ALGORITHMS["ifa_ppn_mod97"].compute(body)


def ifa_forms(ppn: str, serial: str, batch: str, expiry: str, order: list[int]) -> list[str]:
    fields = [("9N", ppn), ("1T", batch), ("D", expiry), ("S", serial)]
    fields = [fields[i] for i in order]
    plain = render_envelope(fields)
    return [
        plain,
        render_envelope(fields, trailer=False),
        "]d2" + plain,
        "]Q3" + render_envelope(fields, trailer=False),
        plain.replace(RS, "<RS>").replace(GS, "<GS>").replace(EOT, "<EOT>"),
        plain.replace(RS, "\u241e").replace(GS, "\u241d").replace(EOT, "\u2404"),
        f"ifa:{ppn}/{serial}",
        f"https://salamat.example.kg/id/ifa/{ppn}/{serial}",
    ]


@settings(max_examples=60)
@given(
    pzn=st.text(alphabet=string.digits, min_size=8, max_size=8),
    serial=SERIAL,
    batch=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=10),
    order=st.permutations(range(4)),
)
def test_ifa_pack_in_every_form_gives_one_key(pzn, serial, batch, order):
    ppn = _ppn(pzn)
    refs = {ppn: ProductRef("", "p")}
    schemes = SchemeSet([spec_of(IFA, refs), spec_of(CN_DRUG)], validated=True)
    keys = {parse(s, schemes=schemes).key for s in ifa_forms(ppn, serial, batch, "271100", list(order))}
    assert keys == {f"ifa:{ppn}/{serial}"}
    found = parse(ifa_forms(ppn, serial, batch, "271100", list(order))[0], schemes=schemes)
    assert (found.batch, found.expiry.isoformat(), found.kind) == (batch, "2027-11-30", CodeKind.OTHER)


def cn_forms(code: str) -> list[str]:
    return [
        code,
        f" {code} ",
        "]C0" + code,
        f"cn-drug:{code[:7]}/{code[7:16]}",
        f"http://x.cn/id/cn-drug/{code[:7]}/{code[7:16]}",
    ]


@settings(max_examples=60)
@given(
    product=st.text(alphabet=string.digits, min_size=6, max_size=6),
    serial=st.text(alphabet=string.digits, min_size=9, max_size=9),
    tail=st.text(alphabet=string.digits, min_size=4, max_size=4),
)
def test_china_pack_in_every_form_gives_one_key(product, serial, tail):
    code = "8" + product + serial + tail
    refs = {"8" + product: ProductRef("", "p")}
    schemes = SchemeSet([spec_of(IFA), spec_of(CN_DRUG, refs)], validated=True)
    assert {parse(s, schemes=schemes).key for s in cn_forms(code)} == {f"cn-drug:8{product}/{serial}"}


@settings(max_examples=80)
@given(
    a=st.tuples(st.text(alphabet=string.digits, min_size=8, max_size=8), SERIAL),
    b=st.tuples(st.text(alphabet=string.digits, min_size=8, max_size=8), SERIAL),
)
def test_different_packs_give_different_keys(a, b):
    schemes = SchemeSet([spec_of(IFA), spec_of(CN_DRUG)], validated=True)
    ka = parse(render_envelope([("9N", _ppn(a[0])), ("S", a[1])]), schemes=schemes).key
    kb = parse(render_envelope([("9N", _ppn(b[0])), ("S", b[1])]), schemes=schemes).key
    assert (ka == kb) == (a == b)
    # and no scheme key is ever a GS1 key
    assert not ka.startswith(("01/", "00/", "sticker:"))


# a scheme defined here: a prefix, a product with a Luhn digit, a serial, a batch
ACME = SchemeSpec(
    "acme", r"(?P<product>[0-9]{5})-(?P<serial>[A-Z0-9]{4,12})(?:-(?P<batch>[A-Z0-9]{1,6}))?", prefix="AC*",
    checks={"product": "luhn"},
)  # fmt: skip


@given(
    body=st.text(alphabet=string.digits, min_size=4, max_size=4),
    serial=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=4, max_size=12),
    batch=st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=6),
)
def test_a_scheme_defined_in_a_test_gives_one_key_per_pack(body, serial, batch):
    product = body + ALGORITHMS["luhn"].compute(body)
    schemes = SchemeSet([ACME], validated=True)
    forms = [f"AC*{product}-{serial}", f"AC*{product}-{serial}-{batch}", f"]Q1AC*{product}-{serial}", f"acme:{product}/{serial}",
             scheme_uri(f"acme:{product}/{serial}", "https://salamat.example.kg")]  # fmt: skip
    assert {parse(s, schemes=schemes).key for s in forms} == {f"acme:{product}/{serial}"}
    assert [r.key for r in parse_many(forms, schemes=schemes)] == [f"acme:{product}/{serial}"] * len(forms)


def test_scheme_uri_key_is_host_independent():
    from salamat.codes.schemes import scheme_uri_key

    assert scheme_uri_key("https://a.kg/id/acme/12344/S1") == scheme_uri_key("http://b.cn/x/id/acme/12344/S1")
    assert scheme_uri_key("https://a.kg/id/acme/12344/S1") == "acme:12344/S1"
    assert scheme_uri_key("https://id.gs1.org/01/04601234567893/21/S") is None
    assert scheme_uri_key("urn:epc:id:sgtin:4601234.056789.S") is None


def test_uri_round_trips_any_serial():
    key = "acme:12344/A B/%?#"
    uri = scheme_uri(key, "https://h.kg/")
    assert uri == "https://h.kg/id/acme/12344/A%20B%2F%25%3F%23"
    assert uri_to_key(uri) == ("acme", "12344/A B/%?#")


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (render_envelope([("9N", "110375286415"), ("S", "X1")]), "bad_check_digit"),
        (render_envelope([("9N", PPN), ("1T", "B1")]), "missing_serial"),
        (render_envelope([("9N", PPN), ("S", "X1"), ("D", "271340")]), "bad_date"),
        (render_envelope([("9N", "110375286414"), ("S", "X1"), ("S", "X2")]), "unknown_format"),
        (render_envelope([("9N", "999999999999"), ("S", "X1")]), "unknown_format"),
        ("[)>" + RS + "07" + GS + "S1", "bad_envelope"),
        ("[)>" + RS + "06" + GS + "!!", "bad_envelope"),
        ("81234567123456789012", "product_not_mapped"),
        ("ifa:110375286414", "missing_serial"),
    ],
)
def test_refusals_name_the_reason(code, error):
    with pytest.raises(CodeError) as caught:
        parse(code, schemes=SCHEMES)
    assert caught.value.code == error


def test_mapped_product_gives_the_gtin_and_product_id():
    found = parse(render_envelope([("S", "X1"), ("9N", PPN)]), schemes=SCHEMES)
    assert (found.gtin, found.extra["product_id"], found.extra["product"]) == (
        "04601234567893", "11111111-1111-1111-1111-111111111111", PPN,
    )  # fmt: skip


def test_format_05_envelope_is_gs1():
    found = parse("[)>" + RS + "05" + GS + "0104601234567893" + GS + "21ABC" + RS + EOT, schemes=SCHEMES)
    assert found.key == "01/04601234567893/21/ABC"


def test_gs1_and_stickers_are_untouched_by_the_schemes():
    for code in (
        "0104601234567893215ABC",
        "]d20104601234567893215ABC",
        "https://id.gs1.org/01/04601234567893/21/5ABC",
    ):
        assert parse(code, schemes=SCHEMES).key == "01/04601234567893/21/5ABC"
    with pytest.raises(CodeError) as caught:
        parse("4601234567893", schemes=SCHEMES)
    assert caught.value.code == "needs_sticker"


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        (r"(?P<product>\d+)-(\d+)", "pattern_without_serial"),
        (r"(?P<serial>(a+)+)b", "slow_pattern"),
        (r"(?P<serial>(a|b)\2)", "slow_pattern"),
        (r"(?P<serial>x(?=y)y)", "slow_pattern"),
        (r"(?P<serial>[)", "bad_pattern"),
    ],
)
def test_bad_definitions_are_refused(pattern, error):
    with pytest.raises(SchemeDefinitionError) as caught:
        SchemeSpec("bad", pattern)
    assert caught.value.code == error


def test_the_slow_trial_catches_polynomial_backtracking():
    spec = SchemeSpec("slowish", r"X(?P<serial>\d*\d*\d*\d*\d*\d*)y", prefix="SL:")
    assert sc.slow_trial(spec, seconds=1.0)
    assert not sc.slow_trial(spec_of(CN_DRUG))


def test_collisions_name_an_example():
    greedy = SchemeSpec("greedy", r"(?P<serial>[0-9A-Za-z]{1,30})")
    other, example = sc.collision(greedy, SchemeSet([]))
    assert other == "gs1" and parse(example, schemes=SchemeSet([])) is not None or other == "gs1"
    twin = SchemeSpec("twin", r"(?P<product>8[0-9]{6})(?P<serial>[0-9]{13})")
    assert sc.collision(twin, SchemeSet([spec_of(CN_DRUG)]))[0] == "cn-drug"
    ifa2 = SchemeSpec("ifa2", kind="envelope", prefix="110", fields={"product": "9N", "serial": "S"})
    assert sc.collision(ifa2, SchemeSet([spec_of(IFA)]))[0] == "ifa"
    # the shipped schemes collide with nothing
    assert sc.collision(spec_of(CN_DRUG), SchemeSet([spec_of(IFA)])) is None
    assert sc.collision(spec_of(IFA), SchemeSet([spec_of(CN_DRUG)])) is None
    assert sc.collision(ACME, SchemeSet([spec_of(IFA), spec_of(CN_DRUG)])) is None


DIGITS = string.digits


@settings(max_examples=80)
@given(
    a=st.tuples(st.text(DIGITS, min_size=6, max_size=6), st.text(DIGITS, min_size=9, max_size=9)),
    b=st.tuples(st.text(DIGITS, min_size=6, max_size=6), st.text(DIGITS, min_size=9, max_size=9)),
    tails=st.tuples(st.text(DIGITS, min_size=4, max_size=4), st.text(DIGITS, min_size=4, max_size=4)),
)
def test_china_different_packs_different_keys(a, b, tails):
    schemes = SchemeSet([spec_of(IFA), spec_of(CN_DRUG)], validated=True)
    ka = parse("8" + a[0] + a[1] + tails[0], schemes=schemes).key
    kb = parse("8" + b[0] + b[1] + tails[1], schemes=schemes).key
    # the four further digits are data, not identity
    assert (ka == kb) == (a == b)


@settings(max_examples=80)
@given(
    a=st.tuples(
        st.text(DIGITS, min_size=4, max_size=4), st.text(string.ascii_uppercase, min_size=4, max_size=12)
    ),
    b=st.tuples(
        st.text(DIGITS, min_size=4, max_size=4), st.text(string.ascii_uppercase, min_size=4, max_size=12)
    ),
)
def test_test_scheme_different_packs_different_keys(a, b):
    schemes = SchemeSet([ACME], validated=True)

    def key(body, serial):
        return parse(f"AC*{body}{ALGORITHMS['luhn'].compute(body)}-{serial}", schemes=schemes).key

    assert (key(*a) == key(*b)) == (a == b)
