"""The doctor reads refusals in Russian, Kyrgyz or English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from salamat.sickleave import rules


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "A doctor may issue at most 5 days at a time; this period has 6."),
        ("ru", "Врач может выдать не более 5 дней за раз; в этом периоде 6."),
        ("ky", "Дарыгер бир жолу эң көп 5 күн бере алат; бул мезгилде 6 күн."),
    ],
)
def test_rule_messages_are_translated(language, expected):
    start = date(2026, 1, 1)
    with translation.override(language):
        refusal = rules.check_period_length(
            rules.DEFAULT_RULES, reason=rules.ILLNESS, start=start, end=start + timedelta(days=5)
        )
    assert refusal.message == expected


@pytest.mark.django_db
def test_api_refusal_follows_accept_language(doctor, patient):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="ky")
    client.force_login(doctor)
    response = client.post(
        "/api/v1/sick-leaves/verify",
        {"number": "123456789012", "pin": patient.pin},
        content_type="application/json",
    )
    assert response.json()["message"].startswith("Бул ПИН үчүн")
