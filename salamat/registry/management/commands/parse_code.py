"""manage.py parse_code [--json] CODE... — what each code parses to, or why it is refused.

One line per code, with the active labelling schemes of the registry. With --json each line is
an object: key, scheme, product, serial, batch, expiry — or error (the stable refusal code)
and message. Control characters may be written as \\x1d, \\u001d, <GS>, <RS>, <EOT>.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from salamat.codes import parse_many
from salamat.codes.model import CodeError
from salamat.registry.labelling.selectors import parsed_out

_ESCAPES = (("\\x1d", "\x1d"), ("\\u001d", "\x1d"), ("\\x1e", "\x1e"), ("\\u001e", "\x1e"), ("\\x04", "\x04"),
            ("\\u0004", "\x04"))  # fmt: skip


def _unescape(text: str) -> str:
    for escape, char in _ESCAPES:
        text = text.replace(escape, char)
    return text


class Command(BaseCommand):
    help = "Parse package codes with the active labelling schemes; one line per code (--json: JSON)."

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="+", metavar="CODE")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, codes: list[str], json: bool = False, **options):
        refused = 0
        for raw, result in zip(codes, parse_many([_unescape(c) for c in codes]), strict=True):
            out = parsed_out(result)
            refused += isinstance(result, CodeError)
            if json:
                data = {k: out.get(k) for k in ("key", "scheme", "product", "serial", "batch", "expiry")}
                if not out["ok"]:
                    data = {"error": out["error"], "message": out["message"]}
                data["expiry"] = data["expiry"].isoformat() if data.get("expiry") else data.get("expiry")
                if "error" in data:
                    data.pop("expiry")
                self.stdout.write(_dumps({"code": raw, **data}))
            elif out["ok"]:
                parts = [
                    f"{k}={out[k]}" for k in ("scheme", "product", "serial", "batch", "expiry") if out.get(k)
                ]
                self.stdout.write(f"{raw}\t{out['key']}\t" + " ".join(parts))
            else:
                self.stdout.write(f"{raw}\tERROR {out['error']}: {out['message']}")
        if refused:
            # A script can tell from the exit status that some code was refused.
            raise SystemExit(1)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
