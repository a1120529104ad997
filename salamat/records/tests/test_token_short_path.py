"""A token call under /fhir/ skips the session/CSRF/auth/messages/CSP/axes middleware
(salamat/records/fhir/middleware.py); what an API answer needs is still there."""

from __future__ import annotations

from django.db import connection
from django.test import Client

from salamat.core import dbconn
from salamat.records.tests.conftest import code_of, issue_of


def _security_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Content-Language"]
    assert "Accept-Language" in response["Vary"]
    assert len(response["X-Request-ID"]) >= 8
    assert int(response["Content-Length"]) == len(response.content)


def test_a_token_read_has_the_api_headers_and_no_session(fhir_a, patient):
    response = fhir_a.get(f"Patient/{patient.external_id}", HTTP_X_REQUEST_ID="trace-12345678")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["X-Request-ID"] == "trace-12345678"
    _security_headers(response)
    assert "Set-Cookie" not in response and not response.cookies
    assert "Cookie" not in response["Vary"]


def test_a_token_call_answers_in_the_asked_language(fhir_a):
    response = fhir_a.get("Observation?foo=bar", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert issue_of(response)["diagnostics"]


def test_a_wrong_token_is_a_401_operation_outcome():
    response = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/fhir/Patient/x/$summary")
    assert response.status_code == 401
    assert issue_of(response)["code"] == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")
    _security_headers(response)


def test_no_token_is_a_401_operation_outcome(db):
    response = Client().get("/fhir/Observation?patient=x")
    assert response.status_code == 401
    assert code_of(response) == "not_authenticated"


def test_errors_are_operation_outcomes_on_the_short_path(fhir_a, patient):
    unknown = fhir_a.get("Observation/does-not-exist")
    assert unknown.status_code == 404 and issue_of(unknown)["code"] == "not-found"
    deleted = fhir_a.delete(f"Patient/{patient.external_id}")
    assert deleted.status_code == 405 and code_of(deleted) == "delete_not_supported"
    _security_headers(deleted)


def test_a_session_read_still_takes_the_whole_chain(logged_in, doctor_a, fhir_a, patient):
    response = logged_in(doctor_a).get(f"Patient/{patient.external_id}/$summary")
    assert response.status_code in (200, 403), response.content
    assert "Cookie" in response["Vary"]  # the session was read


def _fail(execute, sql, params, many, context):
    from django.db import OperationalError

    raise OperationalError("server closed the connection unexpectedly")


def _trusting_open_connections(monkeypatch) -> None:
    """Tests run inside a transaction, where the short path keeps Django's health check: lift
    the flag so the reused-connection path runs, and keep the test's connection open."""
    monkeypatch.setattr(dbconn, "_in_transaction", lambda opened: False)
    monkeypatch.setattr(dbconn, "_close", lambda opened: None)


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(db, monkeypatch):
    """The request's first query failing on a reused connection runs the view once more."""
    _trusting_open_connections(monkeypatch)
    calls = []

    def view():
        calls.append(1)
        with connection.cursor() as cursor:
            if len(calls) == 1:
                with connection.execute_wrapper(_fail):
                    cursor.execute("SELECT 1")
            cursor.execute("SELECT 1")
        return "answered"

    assert dbconn.run_trusting_open_connections(view) == "answered"
    assert len(calls) == 2


def test_a_later_query_failing_is_not_run_again(db, monkeypatch):
    from django.db import OperationalError

    _trusting_open_connections(monkeypatch)
    calls = []

    def view():
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            with connection.execute_wrapper(_fail):
                cursor.execute("SELECT 1")

    try:
        dbconn.run_trusting_open_connections(view)
    except OperationalError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert len(calls) == 1
