"""The EPCIS capture benchmark runs end to end (50 events) and prints its figures."""

import pytest


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_bench_epcis_runs(capsys):
    from bench import epcis

    assert epcis.main(["--events", "50"]) == 0
    out = capsys.readouterr().out
    assert "events/s" in out and "package-events/s" in out
    assert "ratio EPCIS/core" in out
