"""The traceability benchmark runs end to end (tiny sizes) and prints its table."""

import pytest


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_bench_trace_runs(capsys):
    from bench import trace

    assert trace.main(["--packages", "3000", "--chunk", "1000"]) == 0
    out = capsys.readouterr().out
    for op in ("introduce", "ship", "accept", "sell"):
        assert op in out
    assert "ratio" in out
