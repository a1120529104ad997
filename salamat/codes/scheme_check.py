"""Checks on a scheme before the registry saves it (pure): would it claim codes that are
already someone else's, and is its pattern slow on long input?

* **Collisions.** Strings are sampled from the new scheme (its pattern, or its envelope) and
  from every standard form (GS1 element strings and Digital Links, SSCCs, EAN/GTIN-only codes,
  stickers) and from the other active schemes; a collision is a string that two of them read.
  The answer names one such string, so the regulator sees why.
* **Slowness.** Backreferences, lookaround and nested unbounded repeats are refused outright
  (`schemes.slowness`); then the pattern is timed on long adversarial strings in a child
  process that is killed when it takes too long (a runaway `re` match cannot be interrupted).
"""

from __future__ import annotations

import json
import random
import subprocess  # noqa: S404 - runs this interpreter on a fixed script, input on stdin
import sys
from collections.abc import Iterator

import rstr

from salamat.codes.checkdigit import ALGORITHMS, gs1_check_digit
from salamat.codes.envelope import render_envelope
from salamat.codes.model import CodeError
from salamat.codes.schemes import EMPTY, SchemeSet, SchemeSpec
from salamat.codes.sticker import sticker_serial_new

SAMPLES = 300
TRIAL_SECONDS = 2.0
_TRIAL_LENGTH = 512  # parser.MAX_LENGTH


def _with_checks(spec: SchemeSpec, values: dict[str, str]) -> dict[str, str]:
    """`values` with each guarded part's check characters recomputed (so samples are valid)."""
    for part, algorithm in spec.checks.items():
        algo = ALGORITHMS[algorithm]
        value = values.get(part)
        if algo.compute is None or not value or len(value) <= algo.width:
            continue
        body = value[: -algo.width]
        if all(ch in algo.alphabet for ch in body):
            values[part] = body + algo.compute(body)
    return values


def samples(spec: SchemeSpec, n: int = SAMPLES, seed: int = 0) -> list[str]:
    """`n` strings this scheme reads (pattern: sampled from the regex; envelope: built)."""
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    out: list[str] = []
    if spec.kind == "pattern":
        gen = rstr.Rstr(rng)
        for _ in range(n):
            text = gen.xeger(spec.pattern)
            m = spec.regex.fullmatch(text)
            if m is not None and spec.checks:
                values = _with_checks(spec, {k: v for k, v in m.groupdict().items() if v})
                for part, value in values.items():
                    start, end = m.span(part)
                    text = text[:start] + value + text[end:]
                    m = spec.regex.fullmatch(text)
                    if m is None:
                        break
            out.append((spec.prefix or "") + text)
        return out
    for _ in range(n):
        values = {
            "product": (spec.prefix or "") + "".join(rng.choices("0123456789", k=10)),
            "serial": "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=rng.randint(6, 20))),
            "batch": "".join(rng.choices("ABCDEFGHIJ0123456789", k=6)),
            "expiry": f"{rng.randint(25, 40):02d}{rng.randint(1, 12):02d}{rng.randint(0, 28):02d}",
        }
        values = _with_checks(spec, values)
        fields = [(di, values[part]) for part, di in spec.fields.items()]
        rng.shuffle(fields)
        out.append(render_envelope(fields, trailer=rng.random() < 0.5))
    return out


def _gtin(rng: random.Random, length: int = 13) -> str:
    body = "".join(rng.choices("0123456789", k=length - 1))
    return body + str(gs1_check_digit(body))


def standard_samples(n: int = SAMPLES, seed: int = 1) -> list[str]:
    """Strings every standard form produces: GS1 element strings, HRI, Digital Links, SSCCs,
    GTIN-only codes, stickers."""
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    serial_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    out: list[str] = []
    for i in range(n):
        gtin = _gtin(rng, 14)
        serial = "".join(rng.choices(serial_chars, k=rng.randint(1, 20)))
        sscc = _gtin(rng, 18)
        form = i % 8
        if form == 0:
            out.append(f"01{gtin}21{serial}")
        elif form == 1:
            out.append(f"01{gtin}21{serial}\x1d17{rng.randint(25, 40)}1231\x1d10B{rng.randint(1, 999)}")
        elif form == 2:
            out.append(f"]d201{gtin}21{serial}\x1d91EE10\x1d92{serial}")
        elif form == 3:
            out.append(f"(01){gtin}(21){serial}")
        elif form == 4:
            out.append(f"https://id.example.org/01/{gtin}/21/{serial}")
        elif form == 5:
            out.append(rng.choice([sscc, f"00{sscc}"]))
        elif form == 6:
            out.append(_gtin(rng, rng.choice((8, 12, 13))))
        else:
            out.append(sticker_serial_new())
    return out


def _claims(spec: SchemeSpec, s: str) -> bool:
    """`spec` reads `s` (a refusal by the scheme, like a wrong check digit, counts as reading)."""
    if spec.kind == "pattern":
        try:
            return spec.match(s, s) is not None
        except CodeError:
            return True
    from salamat.codes.normalise import split_symbology
    from salamat.codes.parser import parse

    if not split_symbology(s)[1].startswith("[)>"):
        return False
    try:
        return parse(s, schemes=SchemeSet([spec])).scheme == spec.name
    except CodeError as exc:
        return (exc.details or {}).get("scheme") == spec.name


def _standard_reads(s: str) -> bool:
    """The standard forms (GS1, stickers) read `s`: a package code, or a product code that
    needs a sticker."""
    from salamat.codes.parser import parse

    try:
        parse(s, schemes=EMPTY)
    except CodeError as exc:
        return exc.code == "needs_sticker"
    return True


def collision(spec: SchemeSpec, others: SchemeSet) -> tuple[str, str] | None:
    """(what it collides with — "gs1" or another scheme's code —, an example string) or None."""
    own = samples(spec)
    for s in own:
        if _standard_reads(s):
            return "gs1", s
    for s in standard_samples():
        if _claims(spec, s):
            return "gs1", s
    for other in others:
        if other.name == spec.name:
            continue
        if spec.kind == other.kind == "envelope":
            clash = _envelope_clash(spec, other)
            if clash is not None:
                return other.name, clash
            continue
        for s in own:
            if _claims(other, s):
                return other.name, s
        for s in samples(other, n=SAMPLES // 2):
            if _claims(spec, s):
                return other.name, s
    return None


def _envelope_clash(a: SchemeSpec, b: SchemeSpec) -> str | None:
    """Two envelope schemes clash when they read the product from the same DI and one's
    product prefix starts the other's."""
    di_a, di_b = a.fields.get("product"), b.fields.get("product")
    pa, pb = a.prefix or "", b.prefix or ""
    if di_a == di_b and (pa.startswith(pb) or pb.startswith(pa)):
        longer = pa if len(pa) >= len(pb) else pb
        product = longer + "0" * 10
        return render_envelope([(di_a or a.fields["serial"], product), (a.fields["serial"], "X1")])
    return None


_TRIAL = r"""
import json, re, sys
data = json.load(sys.stdin)
regex = re.compile(data["pattern"])
for text in data["inputs"]:
    regex.fullmatch(text)
    regex.match(text)
print("ok")
"""


def _adversarial(spec: SchemeSpec) -> Iterator[str]:
    own = [s[len(spec.prefix or "") :] for s in samples(spec, n=20, seed=7)]
    chars = {ch for s in own for ch in s} | set("aA0 -./_")
    for ch in sorted(chars):
        yield ch * (_TRIAL_LENGTH - 1) + "\x00"
        yield ch * (_TRIAL_LENGTH - 1) + "!"
    for s in own[:10]:
        if s:
            yield (s * (_TRIAL_LENGTH // len(s) + 1))[: _TRIAL_LENGTH - 1] + "\x00"
            yield (s[:-1] * (_TRIAL_LENGTH // max(len(s) - 1, 1) + 1))[: _TRIAL_LENGTH - 1] + "\x00"


def slow_trial(spec: SchemeSpec, seconds: float = TRIAL_SECONDS) -> bool:
    """True when matching the pattern on long adversarial strings takes longer than `seconds`."""
    if spec.kind != "pattern":
        return False
    payload = json.dumps({"pattern": spec.pattern, "inputs": list(_adversarial(spec))})
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", _TRIAL],
            input=payload,
            capture_output=True,
            text=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return True
    return done.stdout.strip() != "ok"
