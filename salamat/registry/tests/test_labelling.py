"""Labelling schemes through the services and the API: refusals leave the database unchanged;
a scheme registered through the API is used at once by introduce, ship, sell, the public check
and EPCIS."""

from __future__ import annotations

import json

import pytest

from salamat.codes import CodeError, parse
from salamat.codes.checkdigit import ALGORITHMS
from salamat.codes.shipped import CN_DRUG, IFA
from salamat.core.models import AuditLog
from salamat.registry.labelling import services
from salamat.registry.models import LabellingScheme, SchemeProductCode

ACME = {
    "code": "acme",
    "name_ru": "ACME",
    "kind": "pattern",
    "prefix": "AC*",
    "pattern": r"(?P<product>[0-9]{5})-(?P<serial>[A-Z0-9]{4,12})",
    "checks": {"product": "luhn"},
}


def product_code(body: str = "1234") -> str:
    return body + ALGORITHMS["luhn"].compute(body)


def tables() -> dict:
    return {
        "schemes": list(LabellingScheme.objects.order_by("pk").values()),
        "maps": list(SchemeProductCode.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
    }


def test_shipped_rows_equal_the_shipped_definitions(db):
    for shipped in (IFA, CN_DRUG):
        row = LabellingScheme.objects.values(*shipped).get(code=shipped["code"])
        assert row == shipped


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"pattern": r"(?P<product>[0-9]{5})-([A-Z0-9]{4,12})"}, "pattern_without_serial"),
        ({"pattern": r"(?P<serial>([A-Z]+)+)"}, "slow_pattern"),
        ({"prefix": "", "checks": {}, "pattern": r"(?P<serial>[0-9A-Za-z]{1,20})"}, "collides_with_gs1"),
        ({"prefix": "", "pattern": r"(?P<product>8[0-9]{6})(?P<serial>[0-9]{13})"}, "collides_with_scheme"),
        ({"checks": {"product": "crc32"}}, "bad_check_algorithm"),
    ],
)
def test_bad_schemes_are_refused_and_nothing_is_stored(regulator, changes, error):
    before = tables()
    with pytest.raises(Exception) as caught:
        services.scheme_create(actor=regulator, **{**ACME, **changes})
    assert caught.value.code == error
    if error.startswith("collides"):
        assert caught.value.details["example"]
    assert tables() == before


def test_only_the_regulator(pharmacy_admin, db):
    before = tables()
    with pytest.raises(Exception) as caught:
        services.scheme_create(actor=pharmacy_admin, **ACME)
    assert caught.value.code == "role_required"
    assert tables() == before


def test_create_is_audited_and_read_at_once_then_retired(regulator, make_product):
    scheme = services.scheme_create(actor=regulator, **ACME)
    assert AuditLog.objects.filter(
        action="labelling_scheme.create", object_id=str(scheme.external_id)
    ).exists()
    with pytest.raises(CodeError) as caught:
        parse(f"AC*{product_code()}-SER1")
    assert caught.value.code == "product_not_mapped"
    product = make_product()
    result = services.scheme_products_import(
        actor=regulator,
        scheme=scheme,
        text=f"code,registration_number\n{product_code()},{product.registration_number}\n",
    )
    assert (result.added, result.updated) == (1, 0)
    found = parse(f"AC*{product_code()}-SER1")
    assert (found.key, found.gtin) == (f"acme:{product_code()}/SER1", product.gtins.first().gtin)
    services.scheme_retire(actor=regulator, scheme=scheme)
    with pytest.raises(CodeError):
        parse(f"AC*{product_code()}-SER1")


def test_bad_mapping_files_change_nothing(regulator, make_product):
    scheme = services.scheme_create(actor=regulator, **ACME)
    before = tables()
    for text, error in [
        ("wrong,header\n1,2\n", "bad_csv_header"),
        (f"code,registration_number\n{product_code()},NO-SUCH\n", "bad_csv_rows"),
        ("code,registration_number\n12345,X\n", "bad_csv_rows"),  # wrong Luhn digit
    ]:
        with pytest.raises(Exception) as caught:
            services.scheme_products_import(actor=regulator, scheme=scheme, text=text)
        assert caught.value.code == error
    assert tables() == before


# --- the whole journey through HTTP ------------------------------------------------------------


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_a_scheme_registered_through_the_api_is_used_on_every_path(
    api, make_token, make_org, make_user, make_product, ministry
):
    from salamat.epcis.tests.conftest import capture, job_of

    regulator = api(make_token(ministry))
    importer, pharmacy = make_org("importer"), make_org("pharmacy")
    imp, pha = api(make_token(importer)), api(make_token(pharmacy))
    product = make_product(units=1)
    # when the regulator registers the scheme and maps a product code
    created = post(regulator, "/api/v1/labelling-schemes", ACME)
    assert created.status_code == 201, created.content
    assert post(imp, "/api/v1/labelling-schemes", {**ACME, "code": "acme2"}).json()["code"] == "role_required"
    mapped = post(
        regulator, "/api/v1/labelling-schemes/acme/products",
        {"csv": f"code,registration_number\n{product_code()},{product.registration_number}\n"},
    )  # fmt: skip
    assert mapped.json() == {"added": 1, "updated": 0}
    tried = post(regulator, "/api/v1/labelling-schemes/acme/try", {"code": f"AC*{product_code()}-PACK0001"})
    assert tried.json()["key"] == f"acme:{product_code()}/PACK0001" and tried.json()["product_id"] == str(
        product.external_id
    )
    codes = [f"AC*{product_code()}-PACK{i:04d}" for i in range(1, 4)]
    # then the packages go the whole way
    introduced = post(
        imp, "/api/v1/packages/introduce", {"codes": codes, "batch": "B1", "expiry": "2030-12-31"}
    )
    assert introduced.status_code == 200, introduced.content
    sent = post(imp, "/api/v1/shipments", {"codes": codes, "receiver": str(pharmacy.external_id)})
    assert sent.status_code == 201, sent.content
    assert post(pha, f"/api/v1/shipments/{sent.json()['shipment_id']}/accept", {}).status_code == 200
    assert (
        post(pha, "/api/v1/packages/sell", {"codes": [f"acme:{product_code()}/PACK0001"]}).status_code == 200
    )
    sold = api().get("/api/public/check", {"code": codes[0]}).json()
    assert sold["verdict"] == "already_sold", sold
    genuine = (
        api().get("/api/public/check", {"code": f"https://any.host/id/acme/{product_code()}/PACK0002"}).json()
    )
    assert genuine["verdict"] == "genuine" and genuine["product"]["trade_name"] == product.trade_name
    history = pha.get(f"/api/v1/packages/acme:{product_code()}/PACK0002")
    assert history.status_code == 200, history.content
    # and EPCIS: an observation about it, in the scheme's URI, comes back unchanged
    uri = f"https://salamat.example.kg/id/acme/{product_code()}/PACK0002"
    event = {
        "type": "ObjectEvent", "eventTime": "2026-01-01T10:00:00.000+06:00", "eventTimeZoneOffset": "+06:00",
        "epcList": [uri], "action": "OBSERVE", "bizStep": "inspecting", "eventID": "ni:///sha-256;acme-1?ver=CBV2.0",
    }  # fmt: skip
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
        "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": [event]},
    }  # fmt: skip
    assert job_of(pha, capture(pha, document))["success"]
    events = pha.get("/epcis/events?EQ_bizStep=inspecting").json()
    found = list(events["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
    assert [e["epcList"] for e in found] == [[uri]]
    from urllib.parse import quote

    # (the same pack's URI on another host matches once epcis.vocab.canonical_id maps scheme URIs
    # through salamat.codes.schemes.scheme_uri_key, a change for the EPCIS module)
    for form in (uri,):
        matched = pha.get(
            "/epcis/events?MATCH_epc=" + quote(form, safe=""), HTTP_GS1_EPC_FORMAT="Always_EPC_URN"
        )
        assert matched.status_code == 200, matched.content
        listed = matched.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["epcList"] for e in listed] == [[uri]], form


# --- reload without restart, operators' commands, demo ------------------------------------------


def test_another_process_sees_a_change_within_the_reload_interval(regulator, settings, monkeypatch):
    """A second provider stands for another server process: it is not told of the change and
    finds it at its next version check, SCHEME_RELOAD_SECONDS after its last one."""
    from salamat.registry.labelling import provider as provider_module

    clock = [1000.0]
    monkeypatch.setattr(provider_module.time, "monotonic", lambda: clock[0])
    settings.SALAMAT = {**settings.SALAMAT, "SCHEME_RELOAD_SECONDS": 2}
    other = provider_module.Provider()
    assert "acme" not in other().by_name
    services.scheme_create(actor=regulator, **ACME)
    clock[0] += 1.0
    assert "acme" not in other().by_name  # within the interval: the cached set, no query
    clock[0] += 1.5
    assert "acme" in other().by_name  # checked again: reloaded
    services.scheme_retire(actor=regulator, scheme=LabellingScheme.objects.get(code="acme"))
    clock[0] += 2.5
    assert "acme" not in other().by_name


def test_parse_code_command(db, capsys):
    from django.core.management import call_command

    from salamat.codes.envelope import render_envelope

    with pytest.raises(SystemExit) as exited:
        call_command(
            "parse_code",
            "--json",
            "0104601234567893215ABC",
            render_envelope([("9N", "110375286415"), ("S", "X1")]),
        )
    assert exited.value.code == 1  # one code was refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {
        "code": "0104601234567893215ABC", "key": "01/04601234567893/21/5ABC", "scheme": "gs1",
        "product": "04601234567893", "serial": "5ABC", "batch": None, "expiry": None,
    }  # fmt: skip
    assert lines[1]["error"] == "bad_check_digit" and lines[1]["message"]


def test_import_command_and_demo_codes(db, tmp_path, make_product, capsys):
    from django.core.management import call_command

    from salamat.registry.demo import seed_demo
    from salamat.registry.labelling.demo import DEMO_CODES

    seed_demo()
    scheme, code, _index = DEMO_CODES[0]
    found = parse(f"{scheme}:{code}/DEMO0001")
    assert found.extra["product_id"] and found.gtin
    product = make_product()
    path = tmp_path / "map.csv"
    path.write_text(f"code,gtin\n8765432,{product.gtins.first().gtin}\n", encoding="utf-8")
    call_command("import_scheme_products", "cn-drug", str(path))
    assert "1 added" in capsys.readouterr().out
    assert parse("87654321234567890000").gtin == product.gtins.first().gtin


def test_citizen_check_page_and_photo_read_an_ifa_pack(regulator, make_org, make_product, client):
    import io
    from datetime import date

    import zxingcpp
    from django.core.files.uploadedfile import SimpleUploadedFile

    from salamat.codes.envelope import render_envelope
    from salamat.traceability import services as trace
    from salamat.traceability.tests.conftest import actor_for

    product = make_product()
    services.scheme_products_import(
        actor=regulator, scheme=LabellingScheme.objects.get(code="ifa"),
        text=f"code,registration_number\n110375286414,{product.registration_number}\n",
    )  # fmt: skip
    importer = make_org("importer")
    code = render_envelope([("9N", "110375286414"), ("1T", "L0T1"), ("D", "301100"), ("S", "PHOTO0001")])
    trace.packages_introduce(actor=actor_for(importer), codes=[code])
    # the page, typed with stand-ins for the control characters
    typed = code.replace("\x1e", "<RS>").replace("\x1d", "<GS>").replace("\x04", "<EOT>")
    page = client.get("/check", {"code": typed})
    assert page.status_code == 200 and b'data-verdict="genuine"' in page.content
    # a photo of the DataMatrix (zxing renders the controls as control pictures)
    from PIL import Image

    symbol = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.DataMatrix)
    image = Image.fromarray(symbol.to_image(scale=8, add_quiet_zones=True)).convert("RGB")
    png = io.BytesIO()
    image.save(png, format="PNG")
    photo = SimpleUploadedFile("pack.png", png.getvalue(), content_type="image/png")
    got = client.post("/check", {"photo": photo})
    assert got.status_code == 200 and b'data-verdict="genuine"' in got.content, got.content[:400]
    from salamat.traceability.models import Package

    assert Package.objects.get(key="ifa:110375286414/PHOTO0001").expiry == date(2030, 11, 30)


def test_update_through_the_api_is_validated_and_versioned(api, make_token, ministry):
    regulator = api(make_token(ministry))
    assert post(regulator, "/api/v1/labelling-schemes", ACME).status_code == 201
    before = tables()
    refused = regulator.patch(
        "/api/v1/labelling-schemes/acme",
        data=json.dumps({"prefix": "", "checks": {}, "pattern": r"(?P<serial>[0-9]{18,20})"}),
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["code"] == "collides_with_gs1", refused.content
    assert tables() == before
    changed = regulator.patch(
        "/api/v1/labelling-schemes/acme",
        data=json.dumps({"name_en": "ACME Pharma"}),
        content_type="application/json",
    )
    assert (
        changed.status_code == 200
        and changed.json()["version"] == 2
        and changed.json()["name_en"] == "ACME Pharma"
    )
    listed = regulator.get("/api/v1/labelling-schemes").json()
    assert {s["code"] for s in listed} >= {"acme", "ifa", "cn-drug"}
    retired = post(regulator, "/api/v1/labelling-schemes/acme/retire", {})
    assert retired.json()["is_active"] is False
    again = post(regulator, "/api/v1/labelling-schemes/acme/retire", {})
    assert again.status_code == 409 and again.json()["code"] == "scheme_retired"
    assert regulator.get("/api/v1/labelling-schemes/nope").json()["code"] == "scheme_not_found"
