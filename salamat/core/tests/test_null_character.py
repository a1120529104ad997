"""A NUL character anywhere in the input is refused in one place (issue 14, item 4).

PostgreSQL cannot store U+0000 in text, so a NUL that reached a query answered 500. The
request-context middleware refuses it first: 422 `null_character` in the one error shape on
machine endpoints, a plain 400 page elsewhere. Nothing is written."""

import pytest
from django.test import Client

from salamat.core.models import AuditLog

ESCAPED = '{"number": "1234\\u00005678", "pin": "21505199012345"}'


def _token_client(make_org, make_token, org_type="pharmacy") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {make_token(make_org(org_type))}")


CASES = {
    "public where, query": ("get", "/api/public/where?q=para%00cetamol", None, None),
    "public check, query": ("get", "/api/public/check?code=0104%0070", None, None),
    "verify, escaped in JSON": ("post", "/api/v1/sick-leaves/verify", ESCAPED, "application/json"),
    "verify, raw NUL in JSON": (
        "post",
        "/api/v1/sick-leaves/verify",
        '{"number": "1234\x005678", "pin": "21505199012345"}',
        "application/json",
    ),
    "products search": ("get", "/api/v1/products?q=%00", None, None),
    "organizations search": ("get", "/api/v1/organizations?q=ab%00", None, None),
    "EPCIS query": ("get", "/epcis/events?MATCH_epc=urn:epc:id:sgtin:1.2.%00", None, None),
    "EPCIS query, key": ("get", "/epcis/events?EQ_bizStep%00=x", None, None),
    "onboarding application": (
        "post",
        "/api/v1/onboarding/applications",
        '{"legal_name": "Clinic \\u0000", "tax_id": "01234567890123"}',
        "application/json",
    ),
    "form-encoded body": (
        "post",
        "/api/v1/sick-leaves/verify",
        "number=1%002",
        "application/x-www-form-urlencoded",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_null_character_is_refused_with_422(case, make_org, make_token):
    method, url, body, content_type = CASES[case]
    client = _token_client(make_org, make_token)
    audit_before = AuditLog.objects.count()
    response = client.get(url) if method == "get" else client.post(url, body, content_type=content_type)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert set(payload) == {"code", "message", "details"}
    assert payload["code"] == "null_character"
    assert payload["message"]
    assert AuditLog.objects.count() == audit_before


def test_an_escaped_backslash_before_u0000_is_not_a_nul(db):
    # the JSON string "\\u0000" is a backslash followed by the letters u0000: harmless text
    response = Client().post(
        "/api/v1/sick-leaves/verify",
        '{"number": "\\\\u0000", "pin": "21505199012345"}',
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "sick_leave_not_found")


def test_a_page_form_with_a_nul_gets_a_plain_400(db):
    client = Client()
    response = client.post("/login/", {"username": "admin\x00", "password": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_page_query_with_a_nul_gets_a_plain_400(db):
    response = Client().get("/check?code=01%0002")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
