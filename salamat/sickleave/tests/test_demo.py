"""The demo sick leaves: every state, signed, and idempotent."""

from __future__ import annotations

import pytest

from salamat.accounts.selectors import actor_for_user
from salamat.sickleave import selectors, signing
from salamat.sickleave.demo import seed_sick_leave
from salamat.sickleave.models import SickLeave

pytestmark = pytest.mark.django_db


def test_demo_certificates_in_every_state_once(make_org, make_user):
    hospital = make_org("medical", ownership="public", name="Demo hospital")
    make_user("doctor", hospital, username="demo-doctor", pin="10210198600091")
    chair = make_user("commission_chair", hospital, username="demo-chair", pin="21411197500101")
    assert seed_sick_leave() == 5
    assert seed_sick_leave() == 0
    assert sorted(SickLeave.objects.values_list("status", flat=True)) == [
        "annulled",
        "closed",
        "closed",
        "open",
        "open",
    ]
    assert all(c.valid for leave in SickLeave.objects.all() for c in signing.signatures_of(leave))
    waiting = selectors.periods_awaiting_chair(actor=actor_for_user(chair, hospital))
    assert [p.ordinal for p in waiting] == [5]
