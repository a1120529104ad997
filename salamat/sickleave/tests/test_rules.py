"""Table-driven tests of every sick-leave rule, allowed and refused (pure: no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from salamat.sickleave import rules
from salamat.sickleave.rules import DEFAULT_RULES as R
from salamat.sickleave.rules import PeriodFacts

TODAY = date(2026, 11, 23)
D = timedelta(days=1)


def P(start_offset: int, days: int) -> PeriodFacts:
    start = TODAY + start_offset * D
    return PeriodFacts(start=start, end=start + (days - 1) * D)


def code(refusal):
    return None if refusal is None else refusal.code


@pytest.mark.parametrize(
    ("reason", "days", "expected"),
    [
        (rules.ILLNESS, 1, None),
        (rules.ILLNESS, 5, None),
        (rules.ILLNESS, 6, "period_too_long"),
        (rules.INJURY, 10, "period_too_long"),
        (rules.PREGNANCY, 126, None),
        (rules.PREGNANCY, 5, "pregnancy_leave_fixed_length"),
        (rules.PREGNANCY, 140, "pregnancy_leave_fixed_length"),
    ],
)
def test_period_length(reason, days, expected):
    found = rules.check_period_length(R, reason=reason, start=TODAY, end=TODAY + (days - 1) * D)
    assert code(found) == expected


def test_period_dates_must_be_ordered():
    assert code(rules.check_period_dates(TODAY, TODAY - D)) == "period_dates_invalid"
    assert rules.check_period_dates(TODAY, TODAY) is None


@pytest.mark.parametrize(
    ("days_back", "ambulance", "expected"),
    [
        (0, "", None),
        (-1, "", None),  # starts tomorrow: not backdating (the future rule is separate)
        (1, "AMB-2026-0001", None),
        (1, "", "backdating_not_allowed"),
        (1, "   ", "backdating_not_allowed"),
        (2, "AMB-2026-0001", "backdating_too_far"),
        (2, "", "backdating_not_allowed"),
    ],
)
def test_backdating(days_back, ambulance, expected):
    found = rules.check_backdating(
        R, start=TODAY - days_back * D, today=TODAY, ambulance_record_ref=ambulance
    )
    assert code(found) == expected


@pytest.mark.parametrize(("offset", "expected"), [(0, None), (-1, None), (1, "period_in_future")])
def test_not_in_future(offset, expected):
    assert code(rules.check_not_in_future(start=TODAY + offset * D, today=TODAY)) == expected


@pytest.mark.parametrize(
    ("existing", "start_offset", "days", "expected"),
    [
        ([P(0, 5)], 5, 3, None),  # starts the day after
        ([P(0, 5)], 6, 3, "gap_between_periods"),
        ([P(0, 5)], 4, 3, "overlapping_periods"),
        ([P(0, 5)], -1, 2, "overlapping_periods"),  # ends on the first day of the existing one
        ([P(0, 5), P(5, 5)], 10, 5, None),
        ([P(0, 5), P(5, 5)], 7, 1, "overlapping_periods"),
        ([], 3, 2, None),
    ],
)
def test_contiguity(existing, start_offset, days, expected):
    start = TODAY + start_offset * D
    found = rules.check_contiguity(existing, start=start, end=start + (days - 1) * D)
    assert code(found) == expected


@pytest.mark.parametrize(
    ("reason", "total", "chair", "expected"),
    [
        (rules.ILLNESS, 15, False, None),
        (rules.ILLNESS, 16, False, "commission_required"),
        (rules.ILLNESS, 16, True, None),
        (rules.INJURY, 100, True, None),
        (rules.PREGNANCY, 126, False, None),  # exempt
    ],
)
def test_commission(reason, total, chair, expected):
    found = rules.check_commission(R, reason=reason, total_days_after=total, has_commission_chair=chair)
    assert code(found) == expected


@pytest.mark.parametrize(
    ("reason", "icd", "total", "expected"),
    [
        (rules.ILLNESS, "J06.9", 120, None),
        (rules.ILLNESS, "J06.9", 121, "disability_board_required"),
        (rules.ILLNESS, "A15.0", 121, None),  # tuberculosis: the longer maximum
        (rules.ILLNESS, "A15.0", 365, None),
        (rules.ILLNESS, "A15.0", 366, "disability_board_required"),
        (rules.PREGNANCY, "O80", 126, None),  # exempt
    ],
)
def test_maximum(reason, icd, total, expected):
    found = rules.check_maximum(R, reason=reason, diagnosis_code=icd, total_days_after=total)
    assert code(found) == expected


@pytest.mark.parametrize(("has_open", "expected"), [(False, None), (True, "duplicate_open_certificate")])
def test_no_duplicate_open(has_open, expected):
    assert code(rules.check_no_duplicate_open(has_open_certificate=has_open)) == expected


@pytest.mark.parametrize(
    ("reason", "age_years", "period_days", "total", "expected"),
    [
        (rules.ILLNESS, None, 5, 5, None),  # not a care certificate
        (rules.FAMILY_CARE, None, 3, 3, "cared_for_person_required"),
        (rules.FAMILY_CARE, 5, 5, 60, None),  # young child: the whole illness
        (rules.FAMILY_CARE, 13, 5, 30, None),
        (rules.FAMILY_CARE, 14, 3, 3, None),  # from 14 on: 3 per period, 7 in total
        (rules.FAMILY_CARE, 14, 4, 4, "care_limit_exceeded"),
        (rules.FAMILY_CARE, 40, 3, 7, None),
        (rules.FAMILY_CARE, 40, 1, 8, "care_limit_exceeded"),
        (rules.FAMILY_CARE, 70, 5, 5, "care_limit_exceeded"),
    ],
)
def test_care(reason, age_years, period_days, total, expected):
    born = None if age_years is None else date(TODAY.year - age_years, TODAY.month, TODAY.day)
    found = rules.check_care(
        R,
        reason=reason,
        cared_for_birth_date=born,
        start=TODAY,
        period_days=period_days,
        total_days_after=total,
    )
    assert code(found) == expected


def test_age_is_counted_in_whole_years():
    assert rules.age_on(date(2012, 11, 24), TODAY) == 13
    assert rules.age_on(date(2012, 11, 23), TODAY) == 14


@pytest.mark.parametrize(
    ("action", "status", "expected"),
    [
        ("extend", rules.OPEN, None),
        ("extend", rules.CLOSED, "invalid_status"),
        ("close", rules.OPEN, None),
        ("close", rules.ANNULLED, "invalid_status"),
        ("continue", rules.OPEN, None),
        ("annul", rules.OPEN, None),
        ("annul", rules.CLOSED, None),
        ("annul", rules.ANNULLED, "invalid_status"),
        ("duplicate", rules.CLOSED, None),
        ("duplicate", rules.ANNULLED, "invalid_status"),
        ("duplicate", rules.REPLACED, "invalid_status"),
    ],
)
def test_transitions(action, status, expected):
    assert code(rules.check_transition(action=action, status=status)) == expected


def test_transition_targets():
    assert rules.next_status("close") == rules.CLOSED
    assert rules.next_status("annul") == rules.ANNULLED
    assert rules.next_status("duplicate") == rules.REPLACED
    assert rules.next_status("extend") == rules.OPEN


@pytest.mark.parametrize(
    ("outcome", "offset", "expected"),
    [
        (rules.RETURN_TO_WORK, 5, None),
        (rules.RETURN_TO_WORK, 4, "return_date_mismatch"),
        (rules.RETURN_TO_WORK, 6, "return_date_mismatch"),
        (rules.STILL_ILL, 5, None),
        (rules.STILL_ILL, 7, "continuation_date_mismatch"),
        (rules.DISABILITY_BOARD, 3, None),
        (rules.DISABILITY_BOARD, 9, "outcome_date_out_of_range"),
        (rules.DEATH, 0, None),
        (rules.DEATH, -1, "outcome_date_out_of_range"),
        ("lost", 5, "unknown_outcome"),
    ],
)
def test_close(outcome, offset, expected):
    found = rules.evaluate_close(
        status=rules.OPEN, periods=[P(0, 5)], outcome=outcome, outcome_date=TODAY + offset * D
    )
    assert [r.code for r in found] == ([expected] if expected else [])


def test_close_refused_when_not_open():
    found = rules.evaluate_close(
        status=rules.CLOSED, periods=[P(0, 5)], outcome=rules.RETURN_TO_WORK, outcome_date=TODAY + 5 * D
    )
    assert [r.code for r in found] == ["invalid_status"]


# --- the combined checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, []),
        ({"end_offset": 5}, ["period_too_long"]),
        ({"start_offset": 1, "end_offset": 2}, ["period_in_future"]),
        ({"start_offset": -1, "end_offset": 3, "ambulance_record_ref": "AMB-1"}, []),
        ({"start_offset": -1, "end_offset": 3}, ["backdating_not_allowed"]),
        ({"has_open_certificate": True}, ["duplicate_open_certificate"]),
        ({"reason": rules.PREGNANCY, "end_offset": 125}, []),
        (
            {"reason": rules.FAMILY_CARE, "end_offset": 4, "cared_for_birth_date": date(1950, 1, 1)},
            ["care_limit_exceeded"],
        ),
    ],
)
def test_evaluate_first_period(kwargs, expected):
    start = TODAY + kwargs.pop("start_offset", 0) * D
    end = TODAY + kwargs.pop("end_offset", 4) * D
    kwargs.setdefault("reason", rules.ILLNESS)
    found = rules.evaluate_first_period(R, start=start, end=end, today=TODAY, **kwargs)
    assert [r.code for r in found] == expected


def test_evaluate_extension_counts_the_whole_case():
    # given three 5-day periods (15 days: the commission threshold)
    periods = [P(-15, 5), P(-10, 5), P(-5, 5)]
    # when a fourth period is added without the commission, then it is refused
    found = rules.evaluate_extension(
        R, status=rules.OPEN, reason=rules.ILLNESS, periods=periods, start=TODAY, end=TODAY + D, today=TODAY
    )
    assert [r.code for r in found] == ["commission_required"]
    # and with the chair it is allowed
    assert (
        rules.evaluate_extension(
            R,
            status=rules.OPEN,
            reason=rules.ILLNESS,
            periods=periods,
            start=TODAY,
            end=TODAY + D,
            today=TODAY,
            has_commission_chair=True,
        )
        == []
    )
    # and a continued certificate's days count too
    found = rules.evaluate_extension(
        R,
        status=rules.OPEN,
        reason=rules.ILLNESS,
        periods=periods,
        start=TODAY,
        end=TODAY + D,
        today=TODAY,
        has_commission_chair=True,
        earlier_case_days=104,
    )
    assert [r.code for r in found] == ["disability_board_required"]


def test_evaluate_extension_refuses_pregnancy_and_closed():
    found = rules.evaluate_extension(
        R,
        status=rules.OPEN,
        reason=rules.PREGNANCY,
        periods=[P(-126, 126)],
        start=TODAY,
        end=TODAY,
        today=TODAY,
    )
    assert [r.code for r in found] == ["pregnancy_leave_not_extendable"]
    found = rules.evaluate_extension(
        R, status=rules.CLOSED, reason=rules.ILLNESS, periods=[P(-5, 5)], start=TODAY, end=TODAY, today=TODAY
    )
    assert [r.code for r in found] == ["invalid_status"]


def test_raise_first_lists_every_code():
    refusals = [rules.Refusal("a", "A", {}), None, rules.Refusal("b", "B", {})]
    with pytest.raises(rules.RuleRefused) as info:
        rules.raise_first(refusals)
    assert info.value.code == "a"
    assert info.value.details["refusals"] == ["a", "b"]
    rules.raise_first([None])  # nothing to raise


def test_rules_from_settings_overrides_and_rejects_unknown_names():
    table = rules.rules_from_settings({"max_period_days": 10, "long_treatment_icd_prefixes": ["A15"]})
    assert table.max_period_days == 10
    assert table.long_treatment_icd_prefixes == ("A15",)
    assert table.commission_threshold_days == 15
    assert rules.rules_from_settings(None) is rules.DEFAULT_RULES
    with pytest.raises(ValueError, match="max_days_typo"):
        rules.rules_from_settings({"max_days_typo": 3})


def test_defaults_match_the_design():
    assert (R.max_period_days, R.max_backdating_days, R.commission_threshold_days, R.max_total_days) == (
        5,
        1,
        15,
        120,
    )
    assert R.pregnancy_leave_days == 126


def test_rules_module_imports_no_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(rules))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [None])
    }
    assert not any(name and name.startswith("django") for name in imported)
