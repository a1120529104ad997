"""Onboarding as applicants and reviewers work (issue 18, item 21): required fields are marked,
the current step stands out, the reviewer confirms an approval, and the e-mails say what
happened, what to do next, with a link to the application."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from salamat.onboarding import services

pytestmark = pytest.mark.django_db


def test_the_mails_say_what_happened_and_link_to_the_application(
    applicant_actor, ready_application, reviewer_actor, django_capture_on_commit_callbacks
):
    app = ready_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant_actor, application=app)
        services.review_take(actor=reviewer_actor, application=app)
        services.review_request_changes(
            actor=reviewer_actor, application=app, comment="The licence scan is blurred"
        )
    link = f"{settings.PUBLIC_BASE_URL}/onboarding/applications/{app.external_id}/"
    last = mail.outbox[-1]
    assert "The licence scan is blurred" in last.body and link in last.body
    assert "внесите исправления и отправьте её снова" in last.body  # what to do next, in Russian


def test_required_fields_are_marked_and_the_step_is_current(applicant, ready_application):
    app = ready_application()
    client = Client()
    client.force_login(applicant)
    page = client.get(f"/onboarding/applications/{app.external_id}/form/").content.decode()
    assert page.count('class="required-mark"') >= 10 and 'aria-required="true"' in page
    assert 'aria-current="step"' in page


def test_the_reviewer_confirms_an_approval(
    reviewer, applicant_actor, ready_application, reviewer_actor, django_capture_on_commit_callbacks
):
    app = ready_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant_actor, application=app)
        services.review_take(actor=reviewer_actor, application=app)
    client = Client()
    client.force_login(reviewer)
    page = client.get(f"/onboarding/review/{app.external_id}/").content.decode()
    approve = page[page.index('id="approve"') :][:400]
    assert "data-confirm=" in approve and app.tax_id in approve
