"""The visit in the patient record that a certificate was opened from.

The record (`salamat.records`) sits above sick leave in the layers, so sick leave cannot ask it
directly; the record installs a checker here at start-up (`set_encounter_checker`), the way the
registry installs the labelling schemes into `codes`. Without a checker (the record app not
installed) a certificate simply carries no visit."""

from __future__ import annotations

import uuid
from collections.abc import Callable

# (encounter id, patient PIN, issuing organisation id) -> whether that organisation recorded that
# visit of that patient (and it is not entered-in-error).
EncounterChecker = Callable[[uuid.UUID, str, int], bool]

_checker: EncounterChecker | None = None


def set_encounter_checker(checker: EncounterChecker | None) -> None:
    global _checker
    _checker = checker


def encounter_recorded(encounter: uuid.UUID, *, patient_pin: str, organization_id: int) -> bool:
    return _checker is not None and _checker(encounter, patient_pin, organization_id)
