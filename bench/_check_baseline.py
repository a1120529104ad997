"""The baseline for `bench.check`: a minimal WSGI app doing the check's single indexed lookup
with psycopg over one persistent connection per worker, answering JSON. No framework."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

import psycopg

SQL = (
    "SELECT p.state, p.flags, p.batch, p.expiry, r.trade_name, r.inn, r.dosage_form, r.strength, "
    "r.manufacturer_name, r.manufacturer_country, r.registration_number, o.name, o.org_type, s.name, "
    "s.address, s.region, r.trade_name_ru, r.trade_name_ky, r.inn_ru, r.inn_ky, r.dosage_form_ru, "
    "r.dosage_form_ky FROM traceability_package p JOIN registry_product r ON r.id = p.product_id "
    "LEFT JOIN registry_organization o ON o.id = p.owner_id LEFT JOIN registry_site s ON s.id = p.site_id "
    "WHERE p.key = %s LIMIT 1"
)
_conn = None


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def application(environ, start_response):
    code = parse_qs(environ.get("QUERY_STRING", "")).get("code", [""])[0]
    # The same key the parser gives for "01<gtin14>21<serial>" (no parser here: the baseline is bare).
    key = f"01/{code[2:16]}/21/{code[18:]}" if code.startswith("01") else code
    with _connection().cursor() as cur:
        cur.execute(SQL, (key,))
        row = cur.fetchone()
    body = json.dumps(
        {"verdict": "genuine" if row else "unknown", "row": [str(v) for v in row] if row else None}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
