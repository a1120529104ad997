"""The employer verification takes the PIN in the body only: a query string with a PIN would land
in the access logs of the server and of every proxy on the way (issue 14, item 9)."""

from django.test import Client


def test_the_get_form_with_a_pin_is_not_served():
    response = Client().get("/api/v1/sick-leaves/verify?number=123456789012&pin=21505199012345")
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["details"]["allowed"] == ["POST"]
    assert "21505199012345" not in response.content.decode()


def test_the_post_form_answers(db):
    response = Client().post(
        "/api/v1/sick-leaves/verify",
        {"number": "123456789012", "pin": "21505199012345"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "sick_leave_not_found")


def test_the_openapi_document_offers_post_only():
    from salamat.api import api

    operations = api.get_openapi_schema()["paths"]["/api/v1/sick-leaves/verify"]
    assert set(operations) == {"post"}
