"""Telling people what happened to an application: on the site and by e-mail, only
after the transaction that made it happen has committed."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from salamat.accounts.models import User
from salamat.onboarding.models import Notification

log = logging.getLogger(__name__)


def notify_after_commit(*, user_id: int, application_id: int | None, subject: str, body: str = "") -> None:
    """Schedules an on-site notification and an e-mail for when the current transaction commits."""
    transaction.on_commit(lambda: _deliver(user_id, application_id, str(subject), str(body)))


def _deliver(user_id: int, application_id: int | None, subject: str, body: str) -> None:

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    Notification.objects.create(user=user, application_id=application_id, subject=subject[:255], body=body)
    if user.email:
        try:
            send_mail(subject, body or subject, None, [user.email])
        except Exception:  # noqa: BLE001 - a mail outage must not undo a committed decision
            log.exception("could not send onboarding mail to user %s", user_id)


def applicant_message(status: str, comment: str = "", *, link: str = "") -> tuple[str, str]:
    """Subject and text for the applicant when their application reaches `status`: what
    happened, the reviewer's comment, what to do next and a link to the application."""
    subject, comment = _applicant_subject(status, comment)
    with translation.override(translation.get_language() or "ru"):
        next_step = {
            "changes_requested": _("Open the application, make the changes and submit it again."),
            "approved": _(
                "Open the application to issue the credentials of your organisation's administrator."
            ),
            "rejected": _("The reasons are above. You may apply again once they are resolved."),
        }.get(status, _("You will get a message when a reviewer decides."))
        lines = [
            f"{subject}.",
            comment,
            next_step,
            _("Your application: %(link)s") % {"link": link} if link else "",
        ]
    return subject, "\n\n".join(line for line in lines if line)


def _applicant_subject(status: str, comment: str = "") -> tuple[str, str]:

    with translation.override(translation.get_language() or "ru"):
        subjects = {
            "submitted": _("Your clinic application was submitted"),
            "resubmitted": _("Your clinic application was submitted again"),
            "in_review": _("A reviewer is looking at your clinic application"),
            "changes_requested": _("Your clinic application needs changes"),
            "approved": _("Your clinic application was approved"),
            "rejected": _("Your clinic application was rejected"),
        }
        return subjects.get(status, _("Your clinic application was updated")), comment
