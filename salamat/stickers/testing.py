"""Test helpers shared by the stickers and portal tests: a small world of packages in each state."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from salamat.accounts.roles import roles_for_organization_type
from salamat.core.actors import Actor

EXPIRY = date(2030, 12, 31)


def actor_for(org) -> Actor:
    return Actor(organization=org, roles=frozenset(roles_for_organization_type(org.org_type)))


def pdf_page_png(pdf_bytes: bytes, *, page: int = 1, dpi: int = 200) -> bytes:
    """Rasterises one PDF page with poppler's pdftoppm (as a printer or a phone camera would see it)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf_bytes)
        pdftoppm = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
        args = [
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(src),
            str(Path(tmp) / "out"),
        ]
        subprocess.run([pdftoppm, *args], check=True)  # noqa: S603 - our fixed arguments
        return (Path(tmp) / "out.png").read_bytes()


def decode_png(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


@dataclass
class World:
    importer: object
    pharmacy: object
    ministry: object
    product: object
    keys: dict[str, str]  # verdict name -> a code that gives it


def build_world(make_org, make_product) -> World:
    """Packages in every state the citizen check distinguishes, made through the real services."""
    from salamat.registry.models import TrackingList, TrackingListEntry
    from salamat.stickers import services as stickers
    from salamat.traceability import services as trace

    importer = make_org("importer", name="Importer LLC")
    pharmacy = make_org("pharmacy", name="Dari-Darmek No. 5")
    ministry = make_org("ministry", name="Ministry of Health", ownership="public")
    product = make_product(trade_name="Amoxidemo", inn="amoxicillin + clavulanic acid", strength="625 mg",
                           dosage_form="film-coated tablets", manufacturer_name="Lindwall Demo Pharma", manufacturer_country="SI")  # fmt: skip
    untracked = make_product(trade_name="Vitamin C", inn="ascorbic acid", strength="500 mg")
    tl = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=tl, product=product)

    imp = actor_for(importer)
    order = stickers.sticker_order_create(
        actor=imp, quantity=6, product_id=product.external_id, batch="B42", expiry=EXPIRY
    )
    serials = list(order.stickers.order_by("id").values_list("serial", flat=True))
    genuine, sold, recalled, unused, voided, spare = serials
    stickers.stickers_apply(actor=imp, serials=[genuine, sold, recalled])
    stickers.stickers_void(actor=imp, serials=[voided])
    sent = trace.shipment_send(
        actor=imp, receiver_id=pharmacy.external_id, codes=[f"sticker:{s}" for s in (genuine, sold, recalled)]
    )
    ph = actor_for(pharmacy)
    trace.shipment_accept(actor=ph, shipment_id=sent["shipment_id"])
    trace.packages_sell(actor=ph, codes=[f"sticker:{sold}"])
    reg = Actor(organization=ministry, roles=frozenset({"regulator"}))
    trace.recall_create(actor=reg, reason="Quality defect", package_codes=[f"sticker:{recalled}"])
    # An expired package: introduced with a past expiry is refused, so age it in the row.
    from salamat.traceability.models import Package

    expired_order = stickers.sticker_order_create(actor=imp, quantity=1, product_id=product.external_id,
                                                  batch="OLD1", expiry=EXPIRY)  # fmt: skip
    expired = expired_order.stickers.get().serial
    stickers.stickers_apply(actor=imp, serials=[expired])
    Package.objects.filter(key=f"sticker:{expired}").update(expiry=date(2024, 1, 31))
    from salamat.traceability import stock

    stock.rebuild()  # the package was edited behind the services' back
    untracked_gtin = untracked.gtins.get().gtin
    return World(
        importer=importer, pharmacy=pharmacy, ministry=ministry, product=product,
        keys={
            "genuine": genuine, "already_sold": sold, "recalled": recalled, "expired": expired,
            "sticker_not_in_circulation": voided, "unused": unused, "spare": spare,
            "not_tracked": untracked_gtin[1:], "unknown": f"01{product.gtins.get().gtin}21NOSUCH1",
        },
    )  # fmt: skip
