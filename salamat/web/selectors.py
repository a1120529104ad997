"""Reads the layout needs that no app's selector answers."""

from __future__ import annotations

from salamat.accounts.models import Role
from salamat.core.actors import Actor


def role_labels(actor: Actor) -> list[str]:
    """The actor's roles as translated labels, in the order of `Role`."""
    return [str(label) for value, label in Role.choices if value in actor.roles]
