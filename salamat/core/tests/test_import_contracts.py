"""The dependency direction (README, "Layout"): core at the bottom, then registry and accounts,
the domain modules, web at the top; pure modules import no Django. The contracts are in
pyproject.toml ([tool.importlinter]); a lower layer importing a higher one fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_import_contracts_are_kept():
    # given the contracts in pyproject.toml, when import-linter checks the whole package
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then every contract is kept
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout
