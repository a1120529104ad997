"""docs/record.md names every refusal code the record's code can answer (docs cannot drift)."""

from __future__ import annotations

import ast
from pathlib import Path

RECORDS = Path(__file__).resolve().parents[1]
DOC = RECORDS.parents[1] / "docs" / "record.md"


def _codes() -> set[str]:
    codes: set[str] = set()
    for path in RECORDS.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "refuse" and node.args and isinstance(node.args[0], ast.Constant):
                codes.add(node.args[0].value)
            if name == "outcome":
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.IfExp):
                        codes |= {kw.value.body.value, kw.value.orelse.value}
                    elif kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        codes.add(kw.value.value)
    return codes


def test_every_refusal_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    codes = _codes()
    assert len(codes) > 50
    assert sorted(c for c in codes if f"`{c}`" not in text) == []
