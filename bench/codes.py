"""``python -m bench codes``: code parsing speed — fast path, biip alone, parse_many on a mix.

Pure Python, no database. One process, so one core.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import biip

from salamat.codes import (
    CodeError,
    parse,
    parse_many,
    render_digital_link,
    render_element_string,
    render_epc_urn,
    render_hri,
    sticker_serial_new,
    sticker_url,
)
from salamat.codes.checkdigit import gs1_check_digit
from salamat.codes.model import CodeKind, ParsedCode
from salamat.codes.schemes import ProductRef, SchemeSet, set_provider
from salamat.codes.shipped import SHIPPED, spec_of

_SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789!%&'()*+,-./:;<=>?_\""
_TAIL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _gtin(rng: random.Random) -> str:
    body = "0" + "4600" + "".join(rng.choice("0123456789") for _ in range(8))
    return body + str(gs1_check_digit(body))


def _sgtin(rng: random.Random, gtins: list[str], *, tails: bool) -> ParsedCode:
    gtin = rng.choice(gtins)
    serial = "".join(rng.choice(_SERIAL_CHARS) for _ in range(13))
    extra = {}
    if tails:
        extra = {"91": "EE06", "92": "".join(rng.choice(_TAIL_CHARS) for _ in range(44))}
    expiry = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 1500))
    return ParsedCode(
        kind=CodeKind.SGTIN,
        key=f"01/{gtin}/21/{serial}",
        gtin=gtin,
        serial=serial,
        batch=f"L{rng.randrange(10**5):05d}",
        expiry=expiry,
        extra=extra,
    )


def dominant(n: int, seed: int = 1) -> list[str]:
    """DataMatrix element strings (]d2 or not, EAEU tails or not) and Digital Links: the fast path."""
    rng = random.Random(seed)
    gtins = [_gtin(rng) for _ in range(200)]
    out = []
    for i in range(n):
        code = _sgtin(rng, gtins, tails=i % 2 == 0)
        if i % 10 == 9:
            out.append(render_digital_link(code, host="https://pharma.example.kg"))
        else:
            out.append(render_element_string(code, symbology_id=i % 3 != 0))
    return out


def mix(n: int, seed: int = 2) -> list[str]:
    """What a day of scanners sends: mostly DataMatrix, some links, pallets, stickers, mistakes."""
    rng = random.Random(seed)
    gtins = [_gtin(rng) for _ in range(200)]
    stickers = [sticker_serial_new() for _ in range(500)]
    out = []
    for _ in range(n):
        roll = rng.random()
        code = _sgtin(rng, gtins, tails=rng.random() < 0.5)
        if roll < 0.70:
            out.append(render_element_string(code, symbology_id=rng.random() < 0.7))
        elif roll < 0.75:
            out.append(render_element_string(code, fnc1=rng.choice(["~", "<GS>", "|"])))
        elif roll < 0.81:
            out.append(render_digital_link(code, host="https://pharma.example.kg"))
        elif roll < 0.85:
            body = "0" + "4600123" + f"{rng.randrange(10**9):09d}"
            out.append("00" + body + str(gs1_check_digit(body)))
        elif roll < 0.88:
            out.append(sticker_url(rng.choice(stickers), "https://salamat.example.kg"))
        elif roll < 0.90:
            out.append(rng.choice(gtins)[1:])  # an EAN-13 alone: needs a sticker
        elif roll < 0.92:
            good = render_element_string(code)
            out.append(good[:15] + str((int(good[15]) + 1) % 10) + good[16:])  # bad check digit
        elif roll < 0.93:
            out.append(render_hri(code))
        elif roll < 0.94:
            out.append(render_epc_urn(code, company_prefix_length=7))
        elif roll < 0.95:
            out.append(rng.choice(["", "hello", "0104600", "https://example.com/", "\x00\xff"]))
        else:
            out.append(render_element_string(code, symbology_id=True))
    return out


def _rate(fn, items: list[str]) -> tuple[float, float]:
    """(codes per CPU-second of this process, codes per wall-clock second). On a shared
    machine the CPU figure is the honest per-core speed; the wall figure includes waiting."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn(items)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(items) / max(cpu, 1e-9), len(items) / max(wall, 1e-9)


def _parse_each(items: list[str]) -> None:
    for s in items:
        parse(s)


def _biip_each(items: list[str]) -> None:
    for s in items:
        biip.parse(s)


def _shipped_set(products: dict[str, dict[str, ProductRef]]) -> SchemeSet:
    return SchemeSet([spec_of(row, products.get(row["code"], {})) for row in SHIPPED], validated=True)


def scheme_codes(code: str, n: int, seed: int = 3) -> tuple[list[str], dict[str, ProductRef]]:
    """`n` codes of a shipped scheme (50 products, all mapped), in the forms scanners send."""
    from salamat.codes.checkdigit import ALGORITHMS
    from salamat.codes.envelope import render_envelope

    rng = random.Random(seed)  # noqa: S311 - benchmark data
    out: list[str] = []
    if code == "ifa":
        products = []
        for _ in range(50):
            body = "11" + "".join(rng.choices("0123456789", k=8))
            products.append(body + ALGORITHMS["ifa_ppn_mod97"].compute(body))
        for _ in range(n):
            fields = [("9N", rng.choice(products)), ("1T", f"B{rng.randint(1, 999)}"), ("D", "301200"),
                      ("S", "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=12)))]  # fmt: skip
            out.append(
                ("]d2" if rng.random() < 0.5 else "") + render_envelope(fields, trailer=rng.random() < 0.5)
            )
    else:
        products = [f"8{rng.randint(0, 999999):06d}" for _ in range(50)]
        for _ in range(n):
            out.append(rng.choice(products) + f"{rng.randint(0, 10**9 - 1):09d}{rng.randint(0, 9999):04d}")
    return out, {p: ProductRef("04601234567893", "p") for p in products}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench codes", description=__doc__)
    parser.add_argument("--codes", type=int, default=100_000, help="codes in the mix (default 100000)")
    parser.add_argument("--biip-codes", type=int, default=10_000, help="codes for biip alone (slow)")
    args, _unknown = parser.parse_known_args(argv)

    # The shipped schemes, as the registry provides them in production (validated, mapped).
    per_scheme = {row["code"]: scheme_codes(row["code"], args.codes) for row in SHIPPED}
    shipped = _shipped_set({k: v[1] for k, v in per_scheme.items()})
    set_provider(lambda: shipped)
    fast_items = dominant(args.codes)
    mixed = mix(args.codes)
    _parse_each(fast_items[:2000])  # warm caches

    fast = _rate(_parse_each, fast_items)
    slow = _rate(_biip_each, fast_items[: args.biip_codes])
    many = _rate(parse_many, mixed)
    results = parse_many(mixed)
    errors = sum(isinstance(r, CodeError) for r in results)

    print("codes: one process, one core; codes/s per CPU-second (wall-clock in brackets)")
    print(
        f"codes: fast path parse()       {fast[0]:>9,.0f} ({fast[1]:,.0f})  {len(fast_items):,} DataMatrix/DL"
    )
    print(
        f"codes: biip.parse() alone      {slow[0]:>9,.0f} ({slow[1]:,.0f})  {args.biip_codes:,} of the same"
    )
    print(
        f"codes: parse_many() on the mix {many[0]:>9,.0f} ({many[1]:,.0f})  {len(mixed):,}, {errors:,} refused"
    )
    for name, (items, _products) in per_scheme.items():
        _parse_each(items[:2000])
        each = _rate(_parse_each, items)
        many_scheme = _rate(parse_many, items)
        print(
            f"codes: scheme {name:<16} {each[0]:>9,.0f} ({each[1]:,.0f})  parse(); parse_many() {many_scheme[0]:,.0f}"
            f"  (target >= 100,000 codes/s)"
        )
    print(f"codes: fast/biip ratio         {fast[0] / slow[0]:>9.1f}x  (target: fast path >= 50,000 codes/s)")
    return 0
