"""Demo traceability data for development (idempotent, deterministic).

Everything goes through the real services, as the demo users, with event times spread over
the last ~25 days: the demo importer and manufacturer introduce ~3,000 packages of 20 tracked
products, ship most of them to the demo wholesaler (one shipment accepted with a discrepancy),
which supplies four Bishkek pharmacies and the Bishkek clinic; the pharmacies sell part (some
by units), the clinic dispenses a few, one shipment waits in the demo pharmacy's inbox, one
double sale is attempted (an alert) and the regulator recalls one batch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from salamat.accounts.models import User
from salamat.accounts.selectors import actor_for_user
from salamat.core.actors import Actor
from salamat.core.errors import DomainError
from salamat.registry.demo import spec_by_key
from salamat.registry.models import Organization, Product, TrackingList
from salamat.traceability import services
from salamat.traceability.models import Package

SEED = 20260202
SERIAL_PREFIX = "DEMO"
PRODUCT_COUNT = 20
PACKAGES_PER_BATCH = 75  # 20 products x 2 batches x 75 = 3,000 packages
GS = "\x1d"

IMPORTER, MANUFACTURER, WHOLESALER = "importer-1", "manufacturer-1", "wholesaler-bishkek"
PHARMACIES = ("pharmacy-bishkek-1", "pharmacy-bishkek-2", "pharmacy-bishkek-3", "pharmacy-bishkek-4")
CLINIC = "clinic-bishkek"
USERS = {
    IMPORTER: "demo-importer",
    MANUFACTURER: "demo-manufacturer",
    WHOLESALER: "demo-warehouse",
    PHARMACIES[0]: "demo-pharmacist",
    CLINIC: "demo-clinic-doctor",
    "ministry": "demo-regulator",
}
ADMIN = "demo-admin"  # acts for the demo pharmacies that have no demo user of their own


@dataclass
class Pack:
    code: str  # the element string a scanner would send
    key: str
    product: Product
    batch: str


def demo_packages_exist() -> bool:
    return Package.objects.filter(key__contains=f"/21/{SERIAL_PREFIX}").exists()


def _at(days_ago: int, hour: int) -> datetime:
    """A moment `days_ago` days back at `hour` (local time), never in the future."""
    now = timezone.localtime()
    moment = (now - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return min(moment, now - timedelta(minutes=5))


def _products(today: date) -> list[Product]:
    """20 products on tracking lists already mandatory, registered for the whole period."""
    lists = TrackingList.objects.filter(mandatory_from__lte=today - timedelta(days=30))
    start = today - timedelta(days=30)
    candidates = (
        Product.objects.filter(tracking_entries__tracking_list__in=lists)
        .distinct()
        .order_by("registration_number")
        .prefetch_related("gtins")
    )
    return [p for p in candidates if p.is_registered_on(start) and p.is_registered_on(today)][:PRODUCT_COUNT]


def _organizations() -> dict[str, Organization]:
    specs = spec_by_key()
    keys = [IMPORTER, MANUFACTURER, WHOLESALER, *PHARMACIES, CLINIC, "ministry"]
    by_tax = {o.tax_id: o for o in Organization.objects.filter(tax_id__in=[specs[k].tax_id for k in keys])}
    return {k: by_tax[specs[k].tax_id] for k in keys if specs[k].tax_id in by_tax}


def _actors(orgs: dict[str, Organization]) -> dict[str, Actor] | None:
    users = {u.username: u for u in User.objects.filter(username__in=[*USERS.values(), ADMIN])}
    if len(users) < len(USERS) + 1 or len(orgs) < len(USERS) + len(PHARMACIES) - 1:
        return None
    actors = {key: actor_for_user(users[name], orgs[key]) for key, name in USERS.items()}
    for key in PHARMACIES[1:]:
        actors[key] = actor_for_user(users[ADMIN], orgs[key])
    return actors


def _make_packages(products: list[Product], today: date, rng: random.Random) -> list[Pack]:
    packs: list[Pack] = []
    serial = 0
    for i, product in enumerate(products):
        gtin = product.gtins.all()[0].gtin
        for b in range(2):
            batch = f"D{26 + b}{i + 1:02d}{rng.randint(100, 999)}"
            if (i, b) in ((3, 1), (11, 1)):  # a few batches expire within 60 days
                expiry = today + timedelta(days=rng.randint(35, 55))
            else:
                expiry = today + timedelta(days=rng.randint(380, 720))
            for _ in range(PACKAGES_PER_BATCH):
                serial += 1
                s = f"{SERIAL_PREFIX}{serial:06d}"
                code = f"01{gtin}17{expiry:%y%m%d}10{batch}{GS}21{s}"
                packs.append(Pack(code, f"01/{gtin}/21/{s}", product, batch))
    return packs


def _take(pool: list[Pack], n: int) -> list[Pack]:
    out = pool[:n]
    del pool[:n]
    return out


def _codes(packs: list[Pack]) -> list[str]:
    return [p.code for p in packs]


@transaction.atomic
def seed_trace() -> dict[str, int]:
    """Creates the demo traceability data unless it exists; returns what was created."""
    created = {"packages": 0, "shipments": 0, "sales": 0, "dispensings": 0, "recalls": 0}
    if demo_packages_exist():
        return created
    orgs = _organizations()
    actors = _actors(orgs)
    today = timezone.localdate()
    products = _products(today)
    if actors is None or len(products) < PRODUCT_COUNT:
        return created
    rng = random.Random(SEED)
    packs = _make_packages(products, today, rng)
    rng.shuffle(packs)
    half = len(packs) * 3 // 10  # the manufacturer makes 30 %, the importer brings the rest
    made, imported = packs[:half], packs[half:]

    # Introduction (days 25–23).
    services.packages_introduce(actor=actors[IMPORTER], codes=_codes(imported[:1000]), event_time=_at(25, 10))
    services.packages_introduce(actor=actors[MANUFACTURER], codes=_codes(made), event_time=_at(24, 11))
    services.packages_introduce(actor=actors[IMPORTER], codes=_codes(imported[1000:]), event_time=_at(23, 9))
    created["packages"] = len(packs)

    def ship(sender: str, receiver: str, lot: list[Pack], days_ago: int, invoice: str) -> str:
        answer = services.shipment_send(
            actor=actors[sender], receiver_id=orgs[receiver].external_id, codes=_codes(lot),
            invoice_number=invoice, invoice_date=_at(days_ago, 9).date(), event_time=_at(days_ago, 9),
        )  # fmt: skip
        created["shipments"] += 1
        return answer["shipment_id"]

    def accept(receiver: str, shipment: str, days_ago: int, codes: list[str] | None = None) -> None:
        services.shipment_accept(
            actor=actors[receiver], shipment_id=shipment, codes=codes, event_time=_at(days_ago, 14)
        )

    # To the wholesaler (days 21–17); ~10 % stays with the introducers.
    wholesale: list[Pack] = []
    imp_pool, man_pool = imported[: len(imported) * 9 // 10], made[: len(made) * 9 // 10]
    lots = [
        (IMPORTER, _take(imp_pool, 700), 21),
        (MANUFACTURER, _take(man_pool, len(man_pool) // 2), 20),
        (IMPORTER, _take(imp_pool, 700), 19),
        (MANUFACTURER, list(man_pool), 18),
        (IMPORTER, list(imp_pool), 17),
    ]
    for n, (sender, lot, days_ago) in enumerate(lots, start=1):
        shipment = ship(sender, WHOLESALER, lot, days_ago, f"DEMO-INV-{n:04d}")
        if n == 3:  # three packages never arrived: accepted with a discrepancy, an alert
            accept(WHOLESALER, shipment, days_ago - 1, _codes(lot[3:]))
            lot = lot[3:]
        else:
            accept(WHOLESALER, shipment, days_ago - 1)
        wholesale += lot

    # From the wholesaler to the pharmacies and the clinic (days 14–8).
    rng.shuffle(wholesale)
    stock: dict[str, list[Pack]] = {}
    plan = [(PHARMACIES[0], 300, 14), (PHARMACIES[1], 200, 13), (PHARMACIES[2], 200, 12),
            (PHARMACIES[3], 150, 11), (CLINIC, 80, 10), (PHARMACIES[0], 200, 8)]  # fmt: skip
    for n, (receiver, count, days_ago) in enumerate(plan, start=1):
        lot = _take(wholesale, count)
        accept(receiver, ship(WHOLESALER, receiver, lot, days_ago, f"DEMO-WS-{n:04d}"), days_ago - 1)
        stock.setdefault(receiver, []).extend(lot)
    # One shipment still waiting in the demo pharmacy's inbox.
    ship(WHOLESALER, PHARMACIES[0], _take(wholesale, 60), 1, "DEMO-WS-PENDING")

    # Sales (days 9–1), a few by units; the clinic dispenses a few.
    sold: list[Pack] = []
    for pharmacy in PHARMACIES:
        pool = stock[pharmacy]
        for days_ago in range(9, 0, -2):
            lot = _take(pool, rng.randint(5, 15))
            services.packages_sell(
                actor=actors[pharmacy], codes=_codes(lot), event_time=_at(days_ago, 16),
                receipt_number=f"R-{days_ago:02d}-{len(sold):05d}",
            )  # fmt: skip
            sold += lot
            created["sales"] += 1
        units_lot = [p for p in pool if p.product.units_per_package > 2][:3]
        if units_lot:
            services.packages_sell(
                actor=actors[pharmacy], codes=_codes(units_lot), units=1, event_time=_at(2, 12)
            )
            created["sales"] += 1
    for days_ago in (6, 4, 2):
        services.packages_dispense(
            actor=actors[CLINIC], codes=_codes(_take(stock[CLINIC], 4)), event_time=_at(days_ago, 11)
        )
        created["dispensings"] += 1

    # An attempted double sale of a package already sold: refused, and an alert for the regulator.
    try:
        services.packages_sell(actor=actors[PHARMACIES[0]], codes=[sold[0].code], event_time=_at(1, 17))
    except DomainError:
        created["refused_double_sales"] = 1

    # The regulator recalls one batch held by the pharmacies.
    target = stock[PHARMACIES[1]][0]
    services.recall_create(
        actor=actors["ministry"], reason="Demo: out-of-specification dissolution test",
        product_id=target.product.external_id, batch=target.batch,
    )  # fmt: skip
    created["recalls"] = 1
    return created
