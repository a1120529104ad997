"""Property tests: whatever we render parses back to the same package; the fast path and biip
agree; no input makes the parser raise anything but CodeError."""

from __future__ import annotations

import re
from urllib.parse import quote

import biip
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from salamat.codes import (
    CodeError,
    CodeKind,
    fast,
    parse,
    parse_many,
    parse_reference,
    render_digital_link,
    render_element_string,
    render_epc_urn,
    render_hri,
    sticker_serial_new,
    sticker_url,
)
from salamat.codes.checkdigit import has_valid_check_digit
from salamat.codes.normalise import US_TO_RU, normalise_separators, split_symbology
from salamat.codes.tests.strategies import (
    CSET82,
    GS,
    SEPARATORS,
    TEXTUAL_SEPARATORS,
    element_strings,
    elements_of,
    hosts,
    sgtins,
    ssccs,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
codes = sgtins() | ssccs()


def same_package(parsed, code) -> None:
    assert parsed.kind == code.kind
    assert parsed.key == code.key
    assert parsed.gtin == code.gtin
    assert parsed.serial == code.serial
    assert parsed.sscc == code.sscc
    assert parsed.batch == code.batch
    assert parsed.expiry == code.expiry
    assert parsed.extra == code.extra


def no_textual_separator_inside(code) -> bool:
    """A value holding "<GS>"-like text would be split by design (see normalise.py)."""
    values = [v.lower() for _ai, v in elements_of(code)]
    return not any(t.lower() in v for t in TEXTUAL_SEPARATORS for v in values)


# (1) Round trips ------------------------------------------------------------------------


@SETTINGS
@given(data=st.data(), code=codes)
def test_any_element_string_form_parses_back(data, code):
    # given a package written in any AI order, with any separator stand-in and symbology id
    assume(no_textual_separator_inside(code))
    raw = data.draw(element_strings(code))
    # when / then
    same_package(parse(raw), code)


@SETTINGS
@given(code=codes, symbology=st.booleans(), fnc1=st.sampled_from(SEPARATORS))
def test_rendered_element_string_parses_back(code, symbology, fnc1):
    assume(no_textual_separator_inside(code))
    same_package(parse(render_element_string(code, fnc1=fnc1, symbology_id=symbology)), code)


@SETTINGS
@given(code=codes, host=hosts)
def test_digital_link_on_any_host_parses_back(code, host):
    same_package(parse(render_digital_link(code, host=host)), code)


@SETTINGS
@given(code=codes)
def test_canonical_key_parses_back_to_itself(code):
    assert parse(code.key).key == code.key


def test_sticker_key_parses_back_to_itself():
    serial = sticker_serial_new()
    assert parse(f"sticker:{serial}").key == f"sticker:{serial}"


@SETTINGS
@given(code=sgtins(), host=hosts, short_gtin=st.booleans())
def test_digital_link_with_batch_and_expiry_in_the_query(code, host, short_gtin):
    # given the serial in the path, GTIN-13 form when the indicator is 0, data as query params
    gtin = code.gtin[1:] if short_gtin and code.gtin.startswith("0") else code.gtin
    query = [f"{ai}={quote(v, safe='')}" for ai, v in elements_of(code) if ai not in ("01", "21")]
    uri = f"{host}/01/{gtin}/21/{quote(code.serial, safe='')}" + ("?" + "&".join(query) if query else "")
    same_package(parse(uri), code)


@SETTINGS
@given(code=codes, prefix_length=st.integers(6, 12))
def test_epc_urn_parses_back(code, prefix_length):
    parsed = parse(render_epc_urn(code, company_prefix_length=prefix_length))
    assert (parsed.kind, parsed.key, parsed.gtin, parsed.serial, parsed.sscc) == (
        code.kind,
        code.key,
        code.gtin,
        code.serial,
        code.sscc,
    )


@SETTINGS
@given(code=sgtins())
def test_hri_parses_back(code):
    # biip's HRI reader splits at "(": a value holding "(" is out of scope for HRI.
    assume(all("(" not in v for _ai, v in elements_of(code)))
    same_package(parse(render_hri(code)), code)


@SETTINGS
@given(spaces=st.booleans(), lower=st.booleans(), host=hosts)
def test_sticker_serial_and_url_parse_back(spaces, lower, host):
    serial = sticker_serial_new()
    typed = "-".join(serial[i : i + 4] for i in range(0, 13, 4)) if spaces else serial
    typed = typed.lower() if lower else typed
    for raw in (typed, sticker_url(serial, host)):
        parsed = parse(raw)
        assert parsed.kind == CodeKind.STICKER
        assert parsed.key == f"sticker:{serial}"


@SETTINGS
@given(data=st.data(), code=sgtins(), host=hosts)
def test_codes_typed_with_the_russian_keyboard_layout_parse_back(data, code, host):
    # given a keyboard-wedge scanner on a computer with the Russian layout active
    raw = data.draw(
        st.sampled_from([render_element_string(code, symbology_id=True), render_digital_link(code, host)])
    )
    typed = raw.translate(US_TO_RU)
    assume(typed != raw)
    # when / then
    same_package(parse(typed), code)


# (2) The fast path and biip agree -----------------------------------------------------------


def biip_reading(raw: str) -> dict:
    """What biip alone reads in a (GS-normalised) string: an independent interpretation."""
    if raw[:4].lower() == "http":
        # biip.parse() only routes a lower-case "http" to its Digital Link reader.
        source = GS1DigitalLinkURI.parse(raw)
    else:
        result = biip.parse(raw)
        source = result.gs1_message
        assert source is not None, (raw, result.gs1_message_error)
    values = {e.ai.ai: e for e in source.element_strings}
    return {
        "gtin": values["01"].value if "01" in values else None,
        "sscc": values["00"].value if "00" in values else None,
        "serial": values["21"].value if "21" in values else None,
        "batch": values["10"].value if "10" in values else None,
        "expiry": values["17"].date if "17" in values else None,
    }


def ours(parsed) -> dict:
    return {
        "gtin": parsed.gtin if parsed.kind == CodeKind.SGTIN else parsed.extra.get("01"),
        "sscc": parsed.sscc,
        "serial": parsed.serial if parsed.kind == CodeKind.SGTIN else parsed.extra.get("21"),
        "batch": parsed.batch,
        "expiry": parsed.expiry,
    }


@SETTINGS
@given(data=st.data(), code=codes)
def test_fast_path_and_biip_agree_on_element_strings(data, code):
    assume(no_textual_separator_inside(code))
    raw = data.draw(element_strings(code))
    _symbology, body = split_symbology(raw)
    normalised = normalise_separators(body)
    # the fast path reads it (it is one of the dominant forms) …
    quick = fast.element_string(normalised, raw)
    assert quick is not None
    # … exactly as our biip path does …
    slow = parse_reference(raw)
    assert (quick.key, quick.batch, quick.expiry, quick.extra) == (
        slow.key,
        slow.batch,
        slow.expiry,
        slow.extra,
    )
    # … and as biip alone does on the string with real GS separators.
    assert ours(quick) == biip_reading(raw[: len(raw) - len(body)] + normalised)


@SETTINGS
@given(code=codes, host=hosts)
def test_fast_path_and_biip_agree_on_digital_links(code, host):
    uri = render_digital_link(code, host=host)
    quick = fast.digital_link(uri, uri)
    assert quick is not None
    slow = parse_reference(uri)
    assert (quick.key, quick.batch, quick.expiry, quick.extra) == (
        slow.key,
        slow.batch,
        slow.expiry,
        slow.extra,
    )
    assert ours(quick) == biip_reading(uri)


@SETTINGS
@given(code=sgtins(), spaced=st.booleans())
def test_fast_path_and_biip_agree_on_hri(code, spaced):
    assume(all("(" not in v for _ai, v in elements_of(code)))
    text = render_hri(code).replace("(", " (") if spaced else render_hri(code)
    quick = fast.hri(text, text)
    assert quick is not None
    slow = parse_reference(text)
    assert (quick.key, quick.batch, quick.expiry, quick.extra) == (
        slow.key,
        slow.batch,
        slow.expiry,
        slow.extra,
    )


@SETTINGS
@given(code=sgtins(with_extras=False), mutation=st.data())
def test_fast_path_and_biip_agree_on_errors_too(code, mutation):
    # given a valid DataMatrix string with one character changed, dropped or added
    raw = render_element_string(code)
    i = mutation.draw(st.integers(0, len(raw) - 1))
    change = mutation.draw(st.sampled_from(["replace", "drop", "add"]))
    char = mutation.draw(st.sampled_from("0123456789" + GS + "Az!"))
    raw = {
        "replace": raw[:i] + char + raw[i + 1 :],
        "drop": raw[:i] + raw[i + 1 :],
        "add": raw[:i] + char + raw[i:],
    }[change]
    # when both paths read it, then both accept the same package or both refuse it
    try:
        quick = parse(raw)
    except CodeError as exc:
        quick = exc
    try:
        slow = parse_reference(raw)
    except CodeError as exc:
        slow = exc
    if isinstance(quick, CodeError) or isinstance(slow, CodeError):
        # (The reason may differ: the fast path stops at the first problem it sees, biip at another.)
        assert isinstance(quick, CodeError) and isinstance(slow, CodeError), (raw, quick, slow)
    else:
        assert (quick.key, quick.batch, quick.expiry, quick.extra) == (
            slow.key,
            slow.batch,
            slow.expiry,
            slow.extra,
        )


# (3) Nothing but CodeError escapes --------------------------------------------------------

KEY_FORMS = re.compile(r"01/\d{14}/21/.{1,20}|00/\d{18}|sticker:[0-9A-Z]{13}", re.DOTALL)
noisy = st.text(
    st.sampled_from(list("0123456789()]dCQe2\x1d~|<GS>/:?=&%#hpstu.urnepcidgx" + CSET82[:10])), max_size=80
)


def _well_formed(parsed) -> None:
    assert KEY_FORMS.fullmatch(parsed.key), parsed.key
    if parsed.gtin:
        assert has_valid_check_digit(parsed.gtin)
    if parsed.sscc:
        assert has_valid_check_digit(parsed.sscc)


@SETTINGS
@given(raw=st.text(max_size=600) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")) | noisy)
def test_arbitrary_input_only_ever_raises_code_error(raw):
    try:
        parsed = parse(raw)
    except CodeError as exc:
        assert exc.code in {
            "empty",
            "too_long",
            "unknown_format",
            "bad_check_digit",
            "missing_serial",
            "bad_date",
            "bad_gtin",
            "bad_serial",
            "bad_sscc",
            "needs_sticker",
        }
    else:
        _well_formed(parsed)


@SETTINGS
@given(data=st.data(), code=codes)
def test_mangled_codes_only_ever_raise_code_error(data, code):
    raw = data.draw(element_strings(code))
    cut = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.text(max_size=5))
    mangled = raw[:cut] + junk + raw[cut:]
    results = parse_many([mangled, raw[:cut], junk])
    assert len(results) == 3
    for r in results:
        if not isinstance(r, CodeError):
            _well_formed(r)


def test_non_strings_are_refused_not_crashed():
    results = parse_many([None, b"0104601234567893211", 42])  # type: ignore[list-item]
    assert [r.code for r in results] == ["unknown_format"] * 3  # type: ignore[union-attr]


@SETTINGS
@given(st.text(max_size=30))
def test_fast_unquote_matches_urllib_for_ascii(text):
    from urllib.parse import quote, unquote

    from salamat.codes.fast import _unquote

    for value in (text, quote(text, safe="")):
        ours = _unquote(value)
        theirs = unquote(value)
        if ours is None:
            assert not theirs.isascii()  # a byte >= 0x80 was encoded: never GS1 data
        else:
            assert ours == theirs


# (4) The leanest path (parse_many's first try) answers exactly like the full parser ----------


def _full(raw):
    try:
        return parse(raw)
    except CodeError as exc:
        return exc


def _lean_agrees(raw) -> bool:
    """`fast.lean` answers None, or exactly the ParsedCode `parse` gives (every field); and
    `fast.lean_key` answers None exactly when `lean` does, else its key."""
    quick = fast.lean(raw)
    assert fast.lean_key(raw) == (quick.key if quick is not None else None), raw
    if quick is None:
        return False
    full = _full(raw)
    assert not isinstance(full, CodeError), (raw, full)
    assert quick == full, (raw, quick, full)
    [many] = parse_many([raw])
    assert many == full
    return True


lean_extras = st.fixed_dictionaries(
    {},
    optional={
        "91": st.text(CSET82, min_size=1, max_size=8),
        "92": st.text(CSET82, min_size=1, max_size=90),
        "93": st.text(CSET82, min_size=1, max_size=20),
        "11": st.dates().map(lambda d: f"{d.year % 100:02d}{d.month:02d}{d.day:02d}"),
    },
)


@SETTINGS
@given(
    code=sgtins(with_extras=False), extra=lean_extras, symbology=st.sampled_from(["", "]d2", "]C1", "]Q3"])
)
def test_lean_path_reads_the_usual_layouts(code, extra, symbology):
    code = code.__class__(**{**code.__dict__, "extra": extra})
    assume("<" not in "".join(v for _ai, v in elements_of(code)))
    rendered = render_element_string(code, symbology_id=False)
    values = dict(elements_of(code))
    serial_first = (
        "01"
        + code.gtin
        + "21"
        + code.serial
        + "".join(  # the EAEU layout
            GS + ai + values[ai] for ai in ("17", "11", "10", "91", "92", "93") if ai in values
        )
    )
    for raw in (symbology + rendered, symbology + serial_first):
        if _full(raw).__class__ is CodeError:  # e.g. an AI 11 date that is no calendar date
            assert fast.lean(raw) is None
            continue
        assert _lean_agrees(raw), raw
        same_package(fast.lean(raw), code)


@SETTINGS
@given(data=st.data(), code=codes)
def test_lean_path_agrees_with_the_parser_on_any_form_and_mutation(data, code):
    raw = data.draw(element_strings(code))
    if data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(raw)))
        char = data.draw(st.sampled_from(["0", "1", "2", "9", GS, " ", "\n", "<", "A", "!", "]", "/"]))
        change = data.draw(st.sampled_from(["replace", "drop", "add"]))
        raw = {
            "replace": raw[:i] + char + raw[i + 1 :],
            "drop": raw[:i] + raw[i + 1 :],
            "add": raw[:i] + char + raw[i:],
        }[change]
    if data.draw(st.booleans()):
        raw = (
            data.draw(st.sampled_from(["", " ", GS, "\n", "]d2"]))
            + raw
            + data.draw(st.sampled_from(["", " ", GS, GS + GS, "\t"]))
        )
    _lean_agrees(raw)


@SETTINGS
@given(
    raw=st.text(max_size=120)
    | noisy
    | st.text("0123456789\x1d!AZaz<> ]d", max_size=80).map(lambda s: "01" + s)
)
def test_lean_path_agrees_with_the_parser_on_arbitrary_input(raw):
    _lean_agrees(raw)
