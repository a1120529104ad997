"""Every write of clinic onboarding: atomic, audited, notifying only after commit.

The public surface; each family of operations has its own file:

- `application`  start a draft, fill it in, submit it (phase 2 checks run at once)
- `documents`    upload and delete the applicant's documents
- `offer`        publish the public offer, accept it (signed in phase 2)
- `review`       the reviewer takes, sends back, rejects or approves
- `credentials`  the approved clinic's first API client
- `staff`        invitations by PIN, linked at ESI login; ESI's representations noted
- `phase`        the ministry's switch between phase 1 and phase 2
- `workflow`     the shared machinery: row lock, who may act, the one status transition
"""

from salamat.onboarding.selectors import (
    REQUIRED_DOCUMENTS,
    current_phase,
    has_conflict_of_interest,
    is_reviewer,
    missing_document_kinds,
    offer_current,
)
from salamat.onboarding.services.application import (
    EDITABLE_FIELDS,
    REQUIRED_FIELDS,
    application_start,
    application_submit,
    application_update,
)
from salamat.onboarding.services.credentials import application_credentials_issue
from salamat.onboarding.services.documents import document_delete, document_upload, storage
from salamat.onboarding.services.offer import (
    ACCEPTANCE_PURPOSE,
    offer_accept,
    offer_acceptance_record,
    offer_version_publish,
)
from salamat.onboarding.services.phase import onboarding_phase_set
from salamat.onboarding.services.review import (
    review_approve,
    review_reject,
    review_request_changes,
    review_take,
)
from salamat.onboarding.services.staff import (
    INVITABLE_ROLES,
    StaffInvitation,
    esi_representations_record,
    link_pending_memberships,
    staff_invite,
)

__all__ = [
    "ACCEPTANCE_PURPOSE",
    "EDITABLE_FIELDS",
    "INVITABLE_ROLES",
    "REQUIRED_DOCUMENTS",
    "REQUIRED_FIELDS",
    "StaffInvitation",
    "application_credentials_issue",
    "application_start",
    "application_submit",
    "application_update",
    "current_phase",
    "document_delete",
    "document_upload",
    "esi_representations_record",
    "has_conflict_of_interest",
    "is_reviewer",
    "link_pending_memberships",
    "missing_document_kinds",
    "offer_accept",
    "offer_acceptance_record",
    "offer_current",
    "offer_version_publish",
    "onboarding_phase_set",
    "review_approve",
    "review_reject",
    "review_request_changes",
    "review_take",
    "staff_invite",
    "storage",
]
