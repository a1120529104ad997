"""Sick-leave rules: ONE table of numbers and the pure checks that use it.

No Django import: the services pass plain facts in (dates, reasons, totals) and get
back either nothing (allowed) or a `Refusal` with a stable code and a message for the
doctor. `assert_*` helpers raise the first refusal as a `RuleRefused` (a `DomainError`).

The lifecycle is data too: `TRANSITIONS` lists which action moves a certificate
from which status to which; `assert_transition` is the only check of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

from salamat.core.errors import DomainError
from salamat.core.i18n import gettext as _

# --- the table -------------------------------------------------------------------


@dataclass(frozen=True)
class SickLeaveRules:
    """Every number of the sick-leave rules, with the published defaults.

    Override any of them in ``settings.SALAMAT["SICK_LEAVE_RULES"]`` (a dict of field
    name to value); see `rules_from_settings`."""

    # A doctor opens or extends a certificate for at most this many calendar days at a
    # time (published local rule). Pregnancy and childbirth leave is exempt (below).
    max_period_days: int = 5
    # A period may start at most this many days before the day it is issued, and only
    # with an ambulance or emergency-room record reference (published local rule).
    max_backdating_days: int = 1
    # Once the whole case (the certificate and the ones it continues) would last more
    # than this many days, every further period needs the medical commission: its
    # chair approves and co-signs (CIS practice: 15 days).
    commission_threshold_days: int = 15
    # Past this many days in total the patient must be referred to the disability
    # board instead of being extended again (CIS practice: 4 months = 120 days).
    max_total_days: int = 120
    # Note: tuberculosis keeps people on sick leave far longer (Russia allows up to
    # 12 months). Diagnoses starting with these ICD-10 prefixes get the longer maximum.
    # The prefixes and the number are a policy choice to confirm with the ministry.
    long_treatment_icd_prefixes: tuple[str, ...] = ("A15", "A16", "A17", "A18", "A19")
    long_treatment_max_total_days: int = 365
    # Care for a sick family member: a child younger than this (in whole years on the
    # first day of the period) may be cared for during the whole illness; only the
    # general period, commission and maximum rules apply (CIS practice: under 14–15).
    care_child_age_limit: int = 14
    # Anyone older (teenagers, adults, elderly parents): at most this many days per
    # period ...
    care_other_max_days_per_period: int = 3
    # ... and at most this many days in total for one case (CIS practice: 3 days,
    # extendable by the commission up to 7).
    care_other_max_total_days: int = 7
    # Pregnancy and childbirth: one fixed period of 70 days before and 56 days after
    # the birth, opened at once and never extended here (complicated or multiple
    # births get a separate additional certificate by the commission: not modelled).
    pregnancy_days_before_birth: int = 70
    pregnancy_days_after_birth: int = 56

    @property
    def pregnancy_leave_days(self) -> int:
        return self.pregnancy_days_before_birth + self.pregnancy_days_after_birth


DEFAULT_RULES = SickLeaveRules()


def rules_from_settings(overrides: Mapping[str, Any] | None) -> SickLeaveRules:
    """The table with `overrides` applied; unknown names are an error, not ignored."""
    if not overrides:
        return DEFAULT_RULES
    known = {f.name for f in fields(SickLeaveRules)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown sick-leave rule(s): {', '.join(sorted(unknown))}")
    values = dict(overrides)
    if "long_treatment_icd_prefixes" in values:
        values["long_treatment_icd_prefixes"] = tuple(values["long_treatment_icd_prefixes"])
    return replace(DEFAULT_RULES, **values)


# --- reasons, statuses, outcomes (plain strings; the models' TextChoices use them) --

ILLNESS = "illness"
INJURY = "injury"
OCCUPATIONAL = "occupational"
QUARANTINE = "quarantine"
FAMILY_CARE = "family_care"
PREGNANCY = "pregnancy"
PROSTHETICS = "prosthetics"
SANATORIUM = "sanatorium"
REASONS = (ILLNESS, INJURY, OCCUPATIONAL, QUARANTINE, FAMILY_CARE, PREGNANCY, PROSTHETICS, SANATORIUM)

OPEN = "open"
CLOSED = "closed"
ANNULLED = "annulled"
REPLACED = "replaced"

RETURN_TO_WORK = "return_to_work"
STILL_ILL = "still_ill"
DISABILITY_BOARD = "disability_board"
DEATH = "death"
OUTCOMES = (RETURN_TO_WORK, STILL_ILL, DISABILITY_BOARD, DEATH)

# action -> (statuses it may start from, status it leads to). Extending keeps a
# certificate open; a duplicate replaces the lost one (which stays readable).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "extend": (frozenset({OPEN}), OPEN),
    "close": (frozenset({OPEN}), CLOSED),
    "continue": (frozenset({OPEN}), CLOSED),
    "annul": (frozenset({OPEN, CLOSED}), ANNULLED),
    "duplicate": (frozenset({OPEN, CLOSED}), REPLACED),
}


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a rule says no: a stable `code`, a message for the doctor, and the numbers."""

    code: str
    message: str
    details: dict[str, Any]


class RuleRefused(DomainError):
    """A sick-leave rule refused the request (400)."""


def _refuse(code: str, message: str, **details: Any) -> Refusal:
    return Refusal(code=code, message=message, details=details)


def raise_first(refusals: Iterable[Refusal | None]) -> None:
    """Raises the first refusal (with every refusal's code in the details), if any."""
    found = [r for r in refusals if r is not None]
    if found:
        first = found[0]
        details = dict(first.details)
        details["refusals"] = [r.code for r in found]
        raise RuleRefused(first.code, first.message, details=details)


# --- facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFacts:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def days_in(periods: Iterable[PeriodFacts]) -> int:
    return sum(p.days for p in periods)


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- the rules, one function each ---------------------------------------------------


def check_period_dates(start: date, end: date) -> Refusal | None:
    if end < start:
        return _refuse(
            "period_dates_invalid", _("A period cannot end before it starts."), start=start, end=end
        )
    return None


def check_period_length(rules: SickLeaveRules, *, reason: str, start: date, end: date) -> Refusal | None:
    """At most `max_period_days` per period; pregnancy leave is exactly its fixed length."""
    days = (end - start).days + 1
    if reason == PREGNANCY:
        if days != rules.pregnancy_leave_days:
            return _refuse(
                "pregnancy_leave_fixed_length",
                _("Pregnancy and childbirth leave is opened at once for exactly %(days)s days.")
                % {"days": rules.pregnancy_leave_days},
                days=days,
                required_days=rules.pregnancy_leave_days,
            )
        return None
    if days > rules.max_period_days:
        return _refuse(
            "period_too_long",
            _("A doctor may issue at most %(max)s days at a time; this period has %(days)s.")
            % {"max": rules.max_period_days, "days": days},
            days=days,
            max_days=rules.max_period_days,
        )
    return None


def check_backdating(
    rules: SickLeaveRules, *, start: date, today: date, ambulance_record_ref: str
) -> Refusal | None:
    """A period starts today at the earliest, or up to `max_backdating_days` earlier
    with an ambulance/emergency record; never in the future for a first period."""
    back = (today - start).days
    if back <= 0:
        return None
    if not ambulance_record_ref.strip():
        return _refuse(
            "backdating_not_allowed",
            _("A period may start before today only with an ambulance or emergency-room record."),
            days_back=back,
        )
    if back > rules.max_backdating_days:
        return _refuse(
            "backdating_too_far",
            _("A period may start at most %(max)s day(s) before today; this one starts %(days)s days back.")
            % {"max": rules.max_backdating_days, "days": back},
            days_back=back,
            max_days_back=rules.max_backdating_days,
        )
    return None


def check_not_in_future(*, start: date, today: date) -> Refusal | None:
    if start > today:
        return _refuse(
            "period_in_future", _("A certificate cannot be opened for a day after today."), start=start
        )
    return None


def check_contiguity(existing: Iterable[PeriodFacts], *, start: date, end: date) -> Refusal | None:
    """A new period starts the day after the last one ends: no overlap, no gap."""
    periods = sorted(existing, key=lambda p: p.start)
    for p in periods:
        if start <= p.end and end >= p.start:
            return _refuse(
                "overlapping_periods",
                _("The new period overlaps the period %(start)s – %(end)s.")
                % {"start": p.start.isoformat(), "end": p.end.isoformat()},
                overlaps_start=p.start,
                overlaps_end=p.end,
            )
    if periods:
        expected = max(p.end for p in periods) + timedelta(days=1)
        if start > expected:
            return _refuse(
                "gap_between_periods",
                _("The new period must start on %(expected)s, the day after the previous one ends.")
                % {"expected": expected.isoformat()},
                expected_start=expected,
            )
    return None


def max_total_days_for(rules: SickLeaveRules, diagnosis_code: str) -> int:
    code = (diagnosis_code or "").upper()
    if any(code.startswith(prefix) for prefix in rules.long_treatment_icd_prefixes):
        return rules.long_treatment_max_total_days
    return rules.max_total_days


def check_commission(
    rules: SickLeaveRules, *, reason: str, total_days_after: int, has_commission_chair: bool
) -> Refusal | None:
    """Past the threshold every new period needs the commission chair's approval."""
    if reason == PREGNANCY:
        return None
    if total_days_after > rules.commission_threshold_days and not has_commission_chair:
        return _refuse(
            "commission_required",
            _("Past %(days)s days in total the medical commission must approve the extension (its chair).")
            % {"days": rules.commission_threshold_days},
            total_days=total_days_after,
            threshold_days=rules.commission_threshold_days,
        )
    return None


def check_maximum(
    rules: SickLeaveRules, *, reason: str, diagnosis_code: str, total_days_after: int
) -> Refusal | None:
    """Past the maximum the patient goes to the disability board, not to another period."""
    if reason == PREGNANCY:
        return None
    limit = max_total_days_for(rules, diagnosis_code)
    if total_days_after > limit:
        return _refuse(
            "disability_board_required",
            _(
                "The case would last %(days)s days, more than the maximum of %(max)s: refer the patient to the disability board."
            )
            % {"days": total_days_after, "max": limit},
            total_days=total_days_after,
            max_total_days=limit,
        )
    return None


def check_no_duplicate_open(*, has_open_certificate: bool) -> Refusal | None:
    """One open certificate per patient, employer and reason."""
    if has_open_certificate:
        return _refuse(
            "duplicate_open_certificate",
            _(
                "This patient already has an open certificate for this employer and reason: extend it instead."
            ),
        )
    return None


def check_care(
    rules: SickLeaveRules,
    *,
    reason: str,
    cared_for_birth_date: date | None,
    start: date,
    period_days: int,
    total_days_after: int,
) -> Refusal | None:
    """Family care: a young child during the whole illness; anyone else only briefly."""
    if reason != FAMILY_CARE:
        return None
    if cared_for_birth_date is None:
        return _refuse(
            "cared_for_person_required", _("A family-care certificate names the person cared for.")
        )
    age = age_on(cared_for_birth_date, start)
    if age < rules.care_child_age_limit:
        return None
    if period_days > rules.care_other_max_days_per_period:
        return _refuse(
            "care_limit_exceeded",
            _("Care for a family member aged %(age)s: at most %(max)s days per period.")
            % {"age": age, "max": rules.care_other_max_days_per_period},
            age=age,
            max_days_per_period=rules.care_other_max_days_per_period,
        )
    if total_days_after > rules.care_other_max_total_days:
        return _refuse(
            "care_limit_exceeded",
            _("Care for a family member aged %(age)s: at most %(max)s days in total.")
            % {"age": age, "max": rules.care_other_max_total_days},
            age=age,
            max_total_days=rules.care_other_max_total_days,
        )
    return None


def check_extension_allowed(*, reason: str) -> Refusal | None:
    if reason == PREGNANCY:
        return _refuse(
            "pregnancy_leave_not_extendable",
            _("Pregnancy and childbirth leave is one fixed period; it is not extended."),
        )
    return None


def check_return_date(*, periods: Iterable[PeriodFacts], return_to_work: date) -> Refusal | None:
    """The patient returns to work the day after the last period."""
    last = max((p.end for p in periods), default=None)
    if last is None or return_to_work != last + timedelta(days=1):
        expected = last + timedelta(days=1) if last else None
        return _refuse(
            "return_date_mismatch",
            _("The return-to-work date must be the day after the last period: %(expected)s.")
            % {"expected": expected.isoformat() if expected else "—"},
            expected=expected,
        )
    return None


def check_outcome_date(*, periods: Iterable[PeriodFacts], outcome_date: date) -> Refusal | None:
    """A referral or death falls within the certificate's days (or the day after)."""
    periods = list(periods)
    first = min(p.start for p in periods)
    last = max(p.end for p in periods)
    if not (first <= outcome_date <= last + timedelta(days=1)):
        return _refuse(
            "outcome_date_out_of_range",
            _("The outcome date must fall between %(first)s and %(last)s.")
            % {"first": first.isoformat(), "last": (last + timedelta(days=1)).isoformat()},
        )
    return None


def check_no_pending_commission(*, pending: bool) -> Refusal | None:
    """A period waiting for the commission chair blocks every other change but annulment."""
    if pending:
        return _refuse(
            "commission_approval_pending",
            _("The last period is waiting for the medical commission's approval."),
        )
    return None


def check_transition(*, action: str, status: str) -> Refusal | None:
    allowed_from, _to = TRANSITIONS[action]
    if status not in allowed_from:
        return _refuse(
            "invalid_status",
            _("A certificate that is %(status)s cannot be changed this way.") % {"status": status},
            status=status,
            action=action,
        )
    return None


def next_status(action: str) -> str:
    return TRANSITIONS[action][1]


# --- the combined checks the services call ----------------------------------------


def evaluate_first_period(
    rules: SickLeaveRules,
    *,
    reason: str,
    start: date,
    end: date,
    today: date,
    ambulance_record_ref: str = "",
    diagnosis_code: str = "",
    has_open_certificate: bool = False,
    cared_for_birth_date: date | None = None,
    previous_periods: Iterable[PeriodFacts] = (),
    has_commission_chair: bool = False,
) -> list[Refusal]:
    """Every refusal for opening a certificate (a continuation passes the periods it continues)."""
    bad_dates = check_period_dates(start, end)
    if bad_dates:
        return [bad_dates]
    previous = list(previous_periods)
    days = (end - start).days + 1
    total = days_in(previous) + days
    checks = [
        # A continuation starts where the previous certificate ends, possibly tomorrow.
        None if previous else check_not_in_future(start=start, today=today),
        check_period_length(rules, reason=reason, start=start, end=end),
        check_backdating(rules, start=start, today=today, ambulance_record_ref=ambulance_record_ref),
        check_contiguity(previous, start=start, end=end) if previous else None,
        check_no_duplicate_open(has_open_certificate=has_open_certificate),
        check_care(
            rules,
            reason=reason,
            cared_for_birth_date=cared_for_birth_date,
            start=start,
            period_days=days,
            total_days_after=total,
        ),
        check_maximum(rules, reason=reason, diagnosis_code=diagnosis_code, total_days_after=total),
        check_commission(
            rules, reason=reason, total_days_after=total, has_commission_chair=has_commission_chair
        ),
    ]
    return [c for c in checks if c is not None]


def evaluate_extension(
    rules: SickLeaveRules,
    *,
    status: str,
    reason: str,
    periods: Iterable[PeriodFacts],
    start: date,
    end: date,
    today: date,
    ambulance_record_ref: str = "",
    diagnosis_code: str = "",
    has_commission_chair: bool = False,
    cared_for_birth_date: date | None = None,
    earlier_case_days: int = 0,
) -> list[Refusal]:
    """Every refusal for adding a period; `earlier_case_days` counts continued certificates."""
    transition = check_transition(action="extend", status=status)
    if transition:
        return [transition]
    bad_dates = check_period_dates(start, end) or check_extension_allowed(reason=reason)
    if bad_dates:
        return [bad_dates]
    periods = list(periods)
    days = (end - start).days + 1
    total = earlier_case_days + days_in(periods) + days
    checks = [
        check_period_length(rules, reason=reason, start=start, end=end),
        check_backdating(rules, start=start, today=today, ambulance_record_ref=ambulance_record_ref),
        check_contiguity(periods, start=start, end=end),
        check_care(
            rules,
            reason=reason,
            cared_for_birth_date=cared_for_birth_date,
            start=start,
            period_days=days,
            total_days_after=total,
        ),
        check_maximum(rules, reason=reason, diagnosis_code=diagnosis_code, total_days_after=total),
        check_commission(
            rules, reason=reason, total_days_after=total, has_commission_chair=has_commission_chair
        ),
    ]
    return [c for c in checks if c is not None]


def evaluate_close(
    *, status: str, periods: Iterable[PeriodFacts], outcome: str, outcome_date: date
) -> list[Refusal]:
    """Every refusal for closing with `outcome` on `outcome_date`."""
    transition = check_transition(action="continue" if outcome == STILL_ILL else "close", status=status)
    if transition:
        return [transition]
    periods = list(periods)
    if outcome == RETURN_TO_WORK:
        found = check_return_date(periods=periods, return_to_work=outcome_date)
    elif outcome == STILL_ILL:
        found = check_return_date(periods=periods, return_to_work=outcome_date)
        if found:
            found = _refuse(
                "continuation_date_mismatch",
                _("A continuation starts the day after the last period."),
                expected=found.details.get("expected"),
            )
    elif outcome in (DISABILITY_BOARD, DEATH):
        found = check_outcome_date(periods=periods, outcome_date=outcome_date)
    else:
        found = _refuse("unknown_outcome", _("Unknown outcome."), outcome=outcome)
    return [found] if found else []


# --- what the employer and the social fund may know about the reason ------------------

GENERAL = "general"
# The reason category that changes the benefit (who pays, how much). Everything else
# about the reason — and the diagnosis above all — stays with the doctor and the patient.
BENEFIT_CATEGORY: dict[str, str] = {
    ILLNESS: GENERAL,
    INJURY: GENERAL,
    QUARANTINE: GENERAL,
    PROSTHETICS: GENERAL,
    SANATORIUM: GENERAL,
    OCCUPATIONAL: OCCUPATIONAL,  # paid in full, from the occupational insurance
    FAMILY_CARE: FAMILY_CARE,  # its own limits and rate
    PREGNANCY: PREGNANCY,  # the maternity benefit
}
