"""The benchmark command runs (tiny sizes) and the dispatcher finds it."""

from __future__ import annotations

from bench.__main__ import discover, run


def test_bench_discovers_codes_and_runs_it(capsys):
    assert "codes" in discover()
    assert run(["codes", "--codes", "300", "--biip-codes", "50", "--unknown-option-of-another-bench"]) == 0
    out = capsys.readouterr().out
    assert "fast path" in out and "biip" in out and "parse_many" in out


def test_bench_unknown_name(capsys):
    assert run(["no-such-bench"]) == 2
