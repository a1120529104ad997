"""Shared facts about the generated demo country (development only)."""

# A development password, printed by `make run`; demo data never exists in production.
DEMO_PASSWORD = "demo-salamat-2026"


def demo_logins() -> list[tuple[str, str]]:
    """(username, description) of the demo users that exist in the database, by role."""
    from salamat.accounts.models import User

    rows = []
    for user in User.objects.filter(username__startswith="demo-").order_by("username"):
        memberships = list(user.memberships.select_related("organization"))
        if memberships:
            desc = "; ".join(f"{m.get_role_display()} @ {m.organization}" for m in memberships)
        else:
            desc = "superuser" if user.is_superuser else "citizen"
        rows.append((user.username, desc))
    return rows
