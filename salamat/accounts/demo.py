"""The demo country's people: a fixed, obviously fictional set of logins of every role, on
top of the demo registry (`salamat.registry.demo`). Development only."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from salamat.accounts import services as account_services
from salamat.accounts.models import Membership, User
from salamat.core.actors import SYSTEM
from salamat.core.demo import DEMO_PASSWORD
from salamat.registry.demo import seed_registry
from salamat.registry.labelling.demo import seed_scheme_codes
from salamat.registry.models import Organization

# --- people --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    pin: str
    memberships: tuple[tuple[str, str], ...] = ()  # (organisation key, role)
    superuser: bool = False
    staff: bool = False  # ministry staff use the Django admin


PEOPLE = (
    PersonSpec("demo-admin", "Aidar", "Demoev", "20101198000011", superuser=True, staff=True),
    PersonSpec(
        "demo-regulator", "Gulnara", "Demova", "10503197900021", (("ministry", "regulator"),), staff=True
    ),
    PersonSpec(
        "demo-reviewer", "Bakyt", "Testov", "21207198500031", (("ministry", "ministry_reviewer"),), staff=True
    ),
    PersonSpec(
        "demo-pharmacist", "Aigerim", "Demova", "11109199200041", (("pharmacy-bishkek-1", "pharmacist"),)
    ),
    PersonSpec(
        "demo-pharmacy-admin", "Nurlan", "Demoev", "20304198700051", (("pharmacy-bishkek-1", "org_admin"),)
    ),
    PersonSpec(
        "demo-warehouse",
        "Timur",
        "Sampleev",
        "22508199000061",
        (("wholesaler-bishkek", "warehouse_operator"),),
    ),
    PersonSpec(
        "demo-importer",
        "Elnura",
        "Sampleeva",
        "11712198800071",
        (("importer-1", "warehouse_operator"), ("importer-1", "org_admin")),
    ),
    PersonSpec(
        "demo-manufacturer",
        "Marat",
        "Fictivov",
        "20906198300081",
        (("manufacturer-1", "warehouse_operator"),),
    ),
    PersonSpec("demo-doctor", "Asel", "Fictivova", "10210198600091", (("hospital-bishkek", "doctor"),)),
    PersonSpec("demo-nurse", "Gulnara", "Demonova", "10304199200151", (("hospital-bishkek", "nurse"),)),
    PersonSpec(
        "demo-chair", "Kubat", "Testov", "21411197500101", (("hospital-bishkek", "commission_chair"),)
    ),
    PersonSpec(
        "demo-clinic-admin", "Zarina", "Testova", "10801199100111", (("clinic-bishkek", "org_admin"),)
    ),
    PersonSpec("demo-clinic-doctor", "Erlan", "Sampleev", "22302198900121", (("clinic-bishkek", "doctor"),)),
    PersonSpec("demo-social-fund", "Cholpon", "Demova", "11605198200131", (("social-fund", "org_admin"),)),
    PersonSpec("demo-citizen", "Azamat", "Citizenov", "20712199500141"),
)

MINISTRY_STAFF_GROUP = "Ministry staff"
# What ministry staff may do in the Django admin (writes there go through the services).
_STAFF_PERMISSIONS = {
    "registry": {
        "organization": ("view", "add", "change"),
        "site": ("view", "add", "change"),
        "product": ("view", "add", "change"),
        "productgtin": ("view", "add", "change", "delete"),
        "trackinglist": ("view", "add", "change"),
        "trackinglistentry": ("view", "add", "change", "delete"),
    },
    "accounts": {"user": ("view",), "membership": ("view",), "apiclient": ("view", "change")},
    "core": {"auditlog": ("view",)},
}


# --- the seeding -----------------------------------------------------------------------------


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Creates whatever of the demo country is missing; returns how many of each were created."""
    created = {
        "tracking_lists": 0,
        "organizations": 0,
        "sites": 0,
        "products": 0,
        "users": 0,
        "memberships": 0,
    }
    orgs = seed_registry(created)
    seed_scheme_codes()  # a few demo products get IFA and Chinese product codes to try
    _seed_people(created, orgs)
    return created


def _seed_people(created: dict[str, int], orgs: dict[str, Organization]) -> None:
    group = _ministry_staff_group()
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
    held = set(
        Membership.objects.filter(user__username__in=[p.username for p in PEOPLE]).values_list(
            "user__username", "organization_id", "role"
        )
    )
    password_hash = None
    for person in PEOPLE:
        user = users.get(person.username)
        if user is None:
            user = account_services.user_create(
                actor=SYSTEM,
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@demo.salamat.example",
                pin=person.pin,
                is_staff=person.staff,
            )
            # One hash for all demo accounts: hashing the same password 14 times would cost seconds.
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.is_superuser = person.superuser
            user.save(update_fields=["password", "is_superuser"])
            created["users"] += 1
        if person.staff and not person.superuser and not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
        for org_key, role in person.memberships:
            org = orgs[org_key]
            if (person.username, org.pk, role) not in held:
                account_services.membership_grant(actor=SYSTEM, user=user, organization=org, role=role)
                created["memberships"] += 1


def _ministry_staff_group():
    group, _created = Group.objects.get_or_create(name=MINISTRY_STAFF_GROUP)
    wanted = Permission.objects.none()
    for app_label, models_ in _STAFF_PERMISSIONS.items():
        for model, actions in models_.items():
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    wanted_ids = set(wanted.values_list("pk", flat=True))
    if set(group.permissions.values_list("pk", flat=True)) != wanted_ids:
        group.permissions.set(wanted_ids)
    return group


def demo_logins() -> list[tuple[str, str]]:
    """(username, description) of the demo users that exist in the database, by role."""
    rows = []
    for user in User.objects.filter(username__startswith="demo-").order_by("username"):
        memberships = list(user.memberships.select_related("organization"))
        if memberships:
            desc = "; ".join(f"{m.get_role_display()} @ {m.organization}" for m in memberships)
        else:
            desc = "superuser" if user.is_superuser else "citizen"
        rows.append((user.username, desc))
    return rows
