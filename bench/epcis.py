"""EPCIS capture benchmark: a 10,000-event document through `/epcis/capture`, next to the
traceability core's own bulk path in the same run.

    SALAMAT_MODE=test scripts/with-postgres.sh .venv/bin/python -m bench epcis [--events N] [--no-single]
        [--distinct M]

Posts one EPCIS 2.0 JSON-LD document of N commissioning ObjectEvents (one package each,
registered GTIN, ILMD lot and expiry) to `/epcis/capture` with the Django test client and an
organisation API token — schema validation, event hash, storage, and each event applied
through `packages_introduce` — and prints events/s. In the same run it introduces N other
packages with `packages_introduce` in one request of N codes and prints package-events/s and
the ratio EPCIS/core. Unless `--no-single`, also one ObjectEvent carrying N EPCs.

The N events differ only in their EPC, so capture merges them into one `packages_introduce`
call (see docs/epcis.md, Throughput). `--distinct M` (default 2,000; 0 to skip) also posts M
events that each have their own eventTime, so each is its own call of the core: the rate of
the event-by-event path.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def _setup_django() -> None:
    from bench.trace import _setup_django as setup

    setup()


def _warm_up(client) -> None:
    """One request first, so the URL configuration and the schema validators are loaded
    before anything is timed (as in a running server)."""
    assert client.options("/epcis/capture").status_code == 204
    from salamat.epcis import validation

    validation.fast_json_validator()
    validation.json_validator()


def _event(epcs: list[str], when: str) -> dict:
    return {
        "type": "ObjectEvent", "eventTime": when, "eventTimeZoneOffset": "+06:00", "epcList": epcs,
        "action": "ADD", "bizStep": "commissioning", "disposition": "active",
        "ilmd": {"cbvmda:lotNumber": "LOT1", "cbvmda:itemExpirationDate": "2030-12-31"},
    }  # fmt: skip


def document(events: list[dict]) -> dict:
    return {
        "@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "epcisBody": {"eventList": events},
    }  # fmt: skip


def _client(org):
    from django.test import Client

    from salamat.accounts.services import api_client_issue
    from salamat.core.actors import SYSTEM

    token = api_client_issue(actor=SYSTEM, organization=org, name=f"bench {uuid.uuid4().hex[:6]}")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _capture(client, doc: dict) -> tuple[float, dict]:
    body = json.dumps(doc)
    t = time.perf_counter()
    response = client.post("/epcis/capture", data=body, content_type="application/ld+json")
    seconds = time.perf_counter() - t
    if response.status_code != 202:
        raise SystemExit(f"capture refused: {response.status_code} {response.content[:500]!r}")
    job = client.get(response["Location"]).json()
    if not job["success"]:
        raise SystemExit(f"capture job failed: {job['errors'][:3]}")
    return seconds, job


def run(n: int, single: bool = True, distinct: int = 0) -> dict[str, float]:
    """Seconds for each path, n packages each (fresh identifiers per path)."""
    from bench.trace import _codes, _world
    from salamat.traceability import services

    tag = uuid.uuid4().hex[:6].upper()
    importer, _pharmacy_actor, _pharmacy, gtin = _world(tag)
    client = _client(importer.organization)
    _warm_up(client)
    start = datetime.now(UTC) - timedelta(hours=1)
    when = start.isoformat(timespec="milliseconds")
    out: dict[str, float] = {}

    epcs = [f"https://id.gs1.org/01/{gtin}/21/E{tag}{i:08d}" for i in range(n)]
    out["epcis"], job = _capture(client, document([_event([e], when) for e in epcs]))
    assert job["capturedCount"] == n and job["appliedCount"] == n, job

    t = time.perf_counter()
    result = services.packages_introduce(actor=importer, codes=_codes(gtin, tag, 0, n))
    out["core"] = time.perf_counter() - t
    assert result, result

    if single:
        epcs = [f"https://id.gs1.org/01/{gtin}/21/S{tag}{i:08d}" for i in range(n)]
        out["epcis_single"], job = _capture(client, document([_event(epcs, when)]))
        assert job["capturedCount"] == 1 and job["appliedCount"] == 1, job

    if distinct:
        epcs = [f"https://id.gs1.org/01/{gtin}/21/D{tag}{i:08d}" for i in range(distinct)]
        times = [
            (start + timedelta(milliseconds=i)).isoformat(timespec="milliseconds") for i in range(distinct)
        ]
        out["epcis_distinct"], job = _capture(
            client, document([_event([e], t) for e, t in zip(epcs, times, strict=True)])
        )
        assert job["capturedCount"] == distinct and job["appliedCount"] == distinct, job
    return out


def _mixed_documents(gtin: str, tag: str, n: int, start: datetime, gln: tuple[str, str]) -> tuple[dict, dict]:
    """What a manufacturer's and then a pharmacy's system send, every event with its own
    eventTime: the manufacturer's document of `n` events commissions packages one by one, packs
    them eight to a box (SSCC) and ships each box to the pharmacy (by lot: the commissionings,
    then the packings, then the shipments); the pharmacy's receives each box's packages and sells
    each package on its own. Times: one millisecond apart, in document order."""
    boxes = n // 10
    clock = iter(range(10**9))

    def when() -> str:
        return (start + timedelta(milliseconds=next(clock))).isoformat(timespec="milliseconds")

    def sgtin(b: int, i: int) -> str:
        return f"https://id.gs1.org/01/{gtin}/21/X{tag}{b:05d}{i}"

    def sscc(b: int) -> str:
        body = f"0470{int(tag, 16) % 10**7:07d}{b:06d}"
        from salamat.codes.checkdigit import gs1_check_digit

        return f"https://id.gs1.org/00/{body}{gs1_check_digit(body)}"

    site = {"id": f"https://id.gs1.org/414/{gln[0]}"}
    made, received = [], []
    made += [
        {"type": "ObjectEvent", "eventTime": when(), "eventTimeZoneOffset": "+06:00", "epcList": [sgtin(b, i)],
         "action": "ADD", "bizStep": "commissioning", "disposition": "active", "bizLocation": site,
         "ilmd": {"cbvmda:lotNumber": "LOT1", "cbvmda:itemExpirationDate": "2030-12-31"}}
        for b in range(boxes) for i in range(8)
    ]  # fmt: skip
    made += [
        {"type": "AggregationEvent", "eventTime": when(), "eventTimeZoneOffset": "+06:00", "parentID": sscc(b),
         "childEPCs": [sgtin(b, i) for i in range(8)], "action": "ADD", "bizStep": "packing",
         "disposition": "in_progress", "bizLocation": site}
        for b in range(boxes)
    ]  # fmt: skip
    made += [
        {"type": "ObjectEvent", "eventTime": when(), "eventTimeZoneOffset": "+06:00", "epcList": [sscc(b)],
         "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit", "bizLocation": site,
         "destinationList": [{"type": "owning_party", "destination": f"https://id.gs1.org/414/{gln[1]}"}]}
        for b in range(boxes)
    ]  # fmt: skip
    shop = {"id": f"https://id.gs1.org/414/{gln[1]}"}
    received += [
        {"type": "ObjectEvent", "eventTime": when(), "eventTimeZoneOffset": "+06:00",
         "epcList": [sgtin(b, i) for i in range(8)], "action": "OBSERVE", "bizStep": "receiving",
         "disposition": "in_progress", "bizLocation": shop}
        for b in range(boxes)
    ]  # fmt: skip
    received += [
        {"type": "ObjectEvent", "eventTime": when(), "eventTimeZoneOffset": "+06:00", "epcList": [sgtin(b, i)],
         "action": "OBSERVE", "bizStep": "retail_selling", "disposition": "retail_sold", "bizLocation": shop}
        for b in range(boxes) for i in range(8)
    ]  # fmt: skip
    return document(made), document(received)


def run_mixed(n: int) -> dict[str, float]:
    """Seconds for the manufacturer's and the pharmacy's mixed documents (see `_mixed_documents`)."""
    from bench.trace import _world
    from salamat.registry.models import Site

    tag = uuid.uuid4().hex[:6].upper()
    importer, _pharmacy_actor, pharmacy, gtin = _world(tag)
    glns = []
    for org in (importer.organization, pharmacy):
        body = f"470{random.randrange(10**8, 10**9)}"
        from salamat.codes.checkdigit import gs1_check_digit

        glns.append(body + str(gs1_check_digit(body)))
        Site.objects.filter(organization=org).update(gln=glns[-1])
    made, received = _mixed_documents(gtin, tag, n, datetime.now(UTC) - timedelta(hours=2), tuple(glns))
    out = {}
    maker = _client(importer.organization)
    _warm_up(maker)
    out["mixed_made"], job = _capture(maker, made)
    assert job["appliedCount"] == job["eventCount"], job
    out["mixed_made_events"] = job["eventCount"]
    out["mixed_received"], job = _capture(_client(pharmacy), received)
    assert job["appliedCount"] == job["eventCount"], job
    out["mixed_received_events"] = job["eventCount"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.epcis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("EPCIS_EVENTS", "10000")))
    parser.add_argument("--no-single", action="store_true", help="skip the one-event, N-EPC variant")
    parser.add_argument(
        "--distinct", type=int, default=2000, help="events with their own eventTime (0: skip)"
    )
    parser.add_argument("--no-mixed", action="store_true", help="skip the mixed documents")
    parser.add_argument(
        "--only-mixed", action="store_true", help="only the mixed documents and the core path"
    )
    args, _unknown = parser.parse_known_args(argv)
    _setup_django()
    n = args.events
    if not args.no_mixed:
        print(f"EPCIS bench, mixed documents: {n:,} events each with its own eventTime")
        mixed = run_mixed(n)
        made_n, got_n = mixed["mixed_made_events"], mixed["mixed_received_events"]
        from bench.trace import _codes, _world
        from salamat.traceability import services

        tag = uuid.uuid4().hex[:6].upper()
        importer, _p, _o, gtin = _world(tag)
        t = time.perf_counter()
        services.packages_introduce(actor=importer, codes=_codes(gtin, tag, 0, n))
        core_rate = n / (time.perf_counter() - t)
        made_rate = made_n / mixed["mixed_made"]
        got_rate = got_n / mixed["mixed_received"]
        both_rate = (made_n + got_n) / (mixed["mixed_made"] + mixed["mixed_received"])
        print(f"{'path':<66}{'seconds':>9}{'rate /s':>12}")
        print(f"{f'EPCIS mixed: manufacturer, {made_n:,} events (commission/pack/ship)':<66}"
              f"{mixed['mixed_made']:>9.2f}{made_rate:>12,.0f} events/s")  # fmt: skip
        print(f"{f'EPCIS mixed: pharmacy, {got_n:,} events (receive/sell)':<66}"
              f"{mixed['mixed_received']:>9.2f}{got_rate:>12,.0f} events/s")  # fmt: skip
        print(f"{'EPCIS mixed: both documents':<66}{mixed['mixed_made'] + mixed['mixed_received']:>9.2f}"
              f"{both_rate:>12,.0f} events/s")  # fmt: skip
        print(f"{f'core packages_introduce, 1 request x {n:,} (same run)':<66}{n / core_rate:>9.2f}"
              f"{core_rate:>12,.0f} package-events/s")  # fmt: skip
        print(f"ratio EPCIS mixed/core (events/s over package-events/s): {both_rate / core_rate:.3f}")
        if args.only_mixed:
            return 0
    print(f"EPCIS bench: {n:,} commissioning events (PostgreSQL, /epcis/capture vs packages_introduce)")
    seconds = run(n, single=not args.no_single, distinct=args.distinct)
    epcis_rate, core_rate = n / seconds["epcis"], n / seconds["core"]
    print(f"{'path':<50}{'seconds':>9}{'rate /s':>12}")
    print(
        f"{f'EPCIS capture, {n:,} ObjectEvents x 1 EPC':<50}{seconds['epcis']:>9.2f}{epcis_rate:>12,.0f} events/s"
    )
    print(
        f"{f'core packages_introduce, 1 request x {n:,}':<50}{seconds['core']:>9.2f}{core_rate:>12,.0f} package-events/s"
    )
    if "epcis_single" in seconds:
        single_rate = n / seconds["epcis_single"]
        print(f"{f'EPCIS capture, 1 ObjectEvent x {n:,} EPCs':<50}{seconds['epcis_single']:>9.2f}"
              f"{single_rate:>12,.0f} package-events/s")  # fmt: skip
    if "epcis_distinct" in seconds:
        m = args.distinct
        print(f"{f'EPCIS capture, {m:,} ObjectEvents, own eventTime':<50}{seconds['epcis_distinct']:>9.2f}"
              f"{m / seconds['epcis_distinct']:>12,.0f} events/s")  # fmt: skip
    print(f"ratio EPCIS/core (events/s over package-events/s): {epcis_rate / core_rate:.3f}")
    if "epcis_single" in seconds:
        print(f"ratio EPCIS single-event/core: {n / seconds['epcis_single'] / core_rate:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
