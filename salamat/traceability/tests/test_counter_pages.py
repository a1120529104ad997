"""The scanning pages' submissions as the page's script sends them (JSON answers, an
Idempotency-Key per list) and as a plain form does: recorded once, refusals exact, nothing
changed by a refusal; "remove the refused codes and go on"; the receiving page's expected list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salamat.traceability import services
from salamat.traceability.models import (
    Event,
    IdempotencyRecord,
    OperationType,
    Package,
    PackageState,
    Shipment,
)
from salamat.traceability.tests.conftest import actor_for

pytestmark = pytest.mark.django_db

SELL = reverse("traceability:scan", args=["sell"])
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def counter(client, make_user, pharmacy):
    client.force_login(make_user("pharmacist", pharmacy))
    return client


def _db_state():
    return (
        sorted(Package.objects.values_list("key", "state", "owner_id")),
        Event.objects.count(),
        IdempotencyRecord.objects.count(),
    )


def test_the_same_list_sent_twice_under_one_key_is_recorded_once(counter, at_pharmacy):
    batch = at_pharmacy(2)
    body = {"codes": batch, "x-receipt_number": "R-1", "idempotency_key": "sale-1"}

    first = counter.post(SELL, body, **JSON)
    again = counter.post(SELL, body, **JSON)  # the answer to the first was lost: the page resends

    assert first.status_code == again.status_code == 200
    assert first.json() == {"ok": True, "redirect": SELL, "replayed": False}
    assert again.json() == {"ok": True, "redirect": SELL, "replayed": True}
    assert Event.objects.filter(operation=OperationType.SELL).count() == 1
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 2


def test_a_plain_form_posted_twice_is_recorded_once(counter, at_pharmacy):
    # the page carries a fresh key in a hidden field: a double click of a form without script
    html = counter.get(SELL).content.decode()
    key = html.split('name="idempotency_key" value="')[1].split('"')[0]
    batch = at_pharmacy(1)
    for _ in range(2):
        assert counter.post(SELL, {"codes": batch, "idempotency_key": key}).status_code == 302
    assert Event.objects.filter(operation=OperationType.SELL).count() == 1


def test_a_key_reused_for_another_list_is_refused_and_changes_nothing(counter, at_pharmacy):
    batch = at_pharmacy(2)
    counter.post(SELL, {"codes": batch[:1], "idempotency_key": "k-1"}, **JSON)
    before = _db_state()

    response = counter.post(SELL, {"codes": batch[1:], "idempotency_key": "k-1"}, **JSON)

    assert response.status_code == 409
    assert response.json()["message"] == "This Idempotency-Key was already used for a different request."
    assert response.json()["ok"] is False
    assert _db_state() == before


def test_a_too_long_key_is_refused_and_changes_nothing(counter, at_pharmacy):
    batch = at_pharmacy(1)
    before = _db_state()
    response = counter.post(SELL, {"codes": batch, "idempotency_key": "k" * 129}, **JSON)
    assert response.status_code == 422
    assert response.json()["message"] == "At most 128 characters."
    assert _db_state() == before


def test_a_refusal_answers_each_refused_code_and_changes_nothing(counter, at_pharmacy, codes):
    good = at_pharmacy(1)
    unknown = codes(1, start=900)[0]
    before = _db_state()

    response = counter.post(SELL, {"codes": [*good, unknown], "idempotency_key": "r-1"}, **JSON)

    assert response.status_code == 422
    answer = response.json()
    assert answer["message"] == "Nothing was recorded: 1 code cannot take part in this operation."
    assert list(answer["rows"]) == [unknown]
    assert 'data-reason="never_introduced"' in answer["rows"][unknown]
    assert "Remove the refused codes and go on" in answer["refusal_html"]
    assert _db_state() == before


def test_an_invalid_field_comes_back_under_the_field(counter, at_pharmacy):
    batch = at_pharmacy(1)
    before = _db_state()
    response = counter.post(SELL, {"codes": batch, "x-units": "0"}, **JSON)
    assert response.status_code == 422
    assert "field-error" in response.json()["extra_html"]
    assert response.json()["message"] == "Check the fields above."
    assert _db_state() == before


def test_remove_the_refused_codes_and_go_on_without_script(counter, at_pharmacy, codes):
    good = at_pharmacy(2)
    unknown = codes(1, start=900)[0]

    response = counter.post(
        SELL, {"codes": [good[0], unknown, good[1]], "drop_refused": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 302
    sale = Event.objects.get(operation=OperationType.SELL)
    assert sale.package_count == 2
    html = counter.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Packages sold: 2." in html
    assert "1 refused code was left out:" in html and "Never introduced" in html


def test_remove_the_refused_codes_when_every_code_is_refused_records_nothing(counter, codes):
    before = _db_state()
    response = counter.post(SELL, {"codes": codes(2, start=900), "drop_refused": "1"}, **JSON)
    assert response.status_code == 422
    assert response.json()["message"] == "Nothing was recorded: 2 codes cannot take part in this operation."
    assert _db_state() == before


def test_the_refusal_page_without_script_offers_to_go_on(counter, at_pharmacy, codes):
    good = at_pharmacy(1)
    response = counter.post(SELL, {"codes": [*good, *codes(1, start=900)]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert 'name="drop_refused"' in response.content.decode()


def test_the_receiving_page_lists_what_is_expected(client, make_user, importer, pharmacy, introduced):
    shipped = introduced(3)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=shipped)
    shipment = Shipment.objects.get(external_id=sent["shipment_id"])
    client.force_login(make_user("pharmacist", pharmacy))
    html = client.get(
        reverse("traceability:shipment_receive", args=[shipment.external_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Expected in this shipment" in html
    row = html.split("data-expected>")[1].split("</table>")[0]
    assert "Testomycin" in row and 'data-of="3"' in row
    assert "of 3 scanned" in html
