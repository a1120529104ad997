"""Pages carry a Content-Security-Policy (issue 14, item 9)."""

from django.test import Client


def test_pages_send_a_content_security_policy(db):
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    # no inline script, no eval: only the platform's own files (and WebAssembly for the scanner)
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert directives["object-src"] == "'none'"
    assert "form-action" in directives and "frame-ancestors" in directives


def test_no_page_template_has_an_inline_script_or_handler():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"", re.I)
    offenders = [
        str(path.relative_to(root))
        for path in root.glob("*/templates/**/*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
