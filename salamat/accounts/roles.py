"""Which roles belong with which organisation types (pure)."""

from __future__ import annotations

# The roles a machine client of an organisation acts with: what its staff could do.
_BY_TYPE: dict[str, tuple[str, ...]] = {
    "manufacturer": ("warehouse_operator",),
    "importer": ("warehouse_operator",),
    "wholesaler": ("warehouse_operator",),
    "pharmacy": ("pharmacist", "warehouse_operator"),
    "medical": ("doctor",),
    "ministry": ("regulator",),
    "social_fund": (),
}

# Roles a person may hold in an organisation of each type.
ALLOWED_ROLES: dict[str, tuple[str, ...]] = {
    "manufacturer": ("org_admin", "warehouse_operator"),
    "importer": ("org_admin", "warehouse_operator"),
    "wholesaler": ("org_admin", "warehouse_operator"),
    "pharmacy": ("org_admin", "pharmacist", "warehouse_operator"),
    "medical": (
        "org_admin",
        "doctor",
        "nurse",
        "commission_chair",
        "pharmacist",
        "warehouse_operator",
    ),
    "ministry": ("org_admin", "ministry_reviewer", "regulator"),
    "social_fund": ("org_admin",),
}


def roles_for_organization_type(org_type: str) -> tuple[str, ...]:
    return _BY_TYPE.get(org_type, ())
