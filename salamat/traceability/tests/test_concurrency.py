"""Two tills selling the same package at the same moment: exactly one wins (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from salamat.traceability import services
from salamat.traceability.models import Alert, Event, Package, PackageState
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
