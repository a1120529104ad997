"""The baseline for `bench.record`: a minimal WSGI app doing the record's indexed reads of one
patient with psycopg over one persistent connection per worker, answering the stored JSON.
No framework, no access decision, no FHIR shaping.

    /summary?patient=<uuid>   every current resource of the patient (one range scan)
    /search?patient=<uuid>&category=<c>   the patient's observations of one category, newest first
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import psycopg

SUMMARY = (
    "SELECT r.body::text FROM records_resource r WHERE r.patient_id = "
    "(SELECT id FROM records_patient WHERE external_id = %s) ORDER BY r.resource_type, r.effective DESC, r.id DESC"
)
SEARCH = (
    "SELECT r.body::text FROM records_resource r WHERE r.patient_id = "
    "(SELECT id FROM records_patient WHERE external_id = %s) AND r.resource_type = 'Observation' "
    "AND r.category = %s ORDER BY r.effective DESC, r.id DESC LIMIT 51"
)
_conn = None


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    patient = query.get("patient", [""])[0]
    with _connection().cursor() as cur:
        if environ.get("PATH_INFO") == "/search":
            cur.execute(SEARCH, (patient, query.get("category", [""])[0]))
        else:
            cur.execute(SUMMARY, (patient,))
        rows = [r[0] for r in cur.fetchall()]
    body = ('{"resourceType":"Bundle","entry":[' + ",".join(rows) + "]}").encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
