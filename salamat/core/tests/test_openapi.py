"""The committed API document cannot drift from the code."""

import json

from salamat.web.management.commands.export_openapi import OPENAPI_PATH, generated_openapi


def test_committed_openapi_matches_generated():
    committed = OPENAPI_PATH.read_text()
    assert committed == generated_openapi(), "docs/openapi.json is stale: run `manage.py export_openapi`"


def test_every_operation_has_a_summary_and_error_responses():
    schema = json.loads(generated_openapi())
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            assert "200" in op["responses"] or "201" in op["responses"] or "202" in op["responses"], path


def test_docs_page_is_served(client):
    response = client.get("/api/docs", follow=True)
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
