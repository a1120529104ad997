"""Two tills selling the same package at the same moment: exactly one wins (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from salamat.traceability import services
from salamat.traceability.models import Alert, Event, OperationType, Package, PackageState, Shipment
from salamat.traceability.tests.conftest import actor_for


def _concurrently(*calls):
    """Runs each call in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_sales_of_one_package_exactly_one_succeeds(pharmacy, at_pharmacy, round_):
    # given one package at the pharmacy, and a second package to make the requests overlap
    batch = at_pharmacy(2)
    # when two tills sell it at the same moment (in opposite code orders)
    outcomes = _concurrently(
        lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch),
        lambda: services.packages_sell(actor=actor_for(pharmacy), codes=list(reversed(batch))),
    )
    # then one sale went through and the other was refused as already sold
    wins = [o for o in outcomes if isinstance(o, dict)]
    losses = [o for o in outcomes if isinstance(o, services.OperationRefused)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert {e["reason"] for e in losses[0].details["errors"]} == {"already_sold"}
    assert Event.objects.filter(operation=7).count() == 1
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.WITHDRAWN}
    assert Alert.objects.filter(kind="already_sold").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_introductions_of_one_code_exactly_one_succeeds(importer, codes):
    batch = codes(3)
    outcomes = _concurrently(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=batch),
        lambda: services.packages_introduce(actor=actor_for(importer), codes=batch),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["OperationRefused", "dict"], outcomes
    assert Package.objects.count() == 3


RETRIES = 5  # a client that resends a request it got no answer to, all at the same moment
OVERLAP = 300  # packages per request: enough that the retries arrive while the first one runs


def _retried(call, body: dict) -> list:
    """`call(idempotency)` sent RETRIES times at once with one Idempotency-Key."""
    idem = services.Idempotency(key="retry-1", request_hash=services.request_hash("POST", "/op", body))
    return _concurrently(*(lambda: call(idem) for _ in range(RETRIES)))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_sale_all_get_the_stored_answer(pharmacy, at_pharmacy):
    # given packages at the pharmacy
    batch = at_pharmacy(OVERLAP)
    # when the till sends one sale five times at once with the same Idempotency-Key
    outcomes = _retried(
        lambda idem: services.packages_sell(actor=actor_for(pharmacy), codes=batch, idempotency=idem),
        {"codes": batch},
    )
    # then every retry gets the one answer, the sale is recorded once, and nothing looks like fraud
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert len({(o["event_id"], o["package_count"], o["withdrawn_count"]) for o in outcomes}) == 1
    assert outcomes[0]["package_count"] == OVERLAP
    assert sum(1 for o in outcomes if not o.get("replayed")) == 1
    assert Event.objects.filter(operation=OperationType.SELL).count() == 1
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == OVERLAP
    assert not Alert.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_shipment_all_get_the_stored_answer(importer, pharmacy, introduced):
    # given packages the importer introduced
    batch = introduced(OVERLAP)
    # when it sends one shipment five times at once with the same Idempotency-Key
    outcomes = _retried(
        lambda idem: services.shipment_send(
            actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch, idempotency=idem
        ),
        {"codes": batch, "receiver": str(pharmacy.external_id)},
    )
    # then every retry gets the one answer, one shipment travels, and nothing looks like fraud
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert len({(o["event_id"], o["shipment_id"]) for o in outcomes}) == 1
    assert sum(1 for o in outcomes if not o.get("replayed")) == 1
    assert Shipment.objects.count() == 1
    assert Event.objects.filter(operation=OperationType.SHIP).count() == 1
    assert Package.objects.filter(state=PackageState.IN_TRANSIT).count() == OVERLAP
    assert not Alert.objects.exists()
