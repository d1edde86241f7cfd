"""Tenancy and MFA at the gateway: which principals may even be asked about a clinic's route."""

from __future__ import annotations

import uuid

import pytest

from gateway.domain.access import Verdict, clinic_route_verdict, is_platform_permission
from gateway.domain.principal import AccountKind, Principal

CLINIC_A = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
CLINIC_B = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7b70")


def principal(kind: AccountKind, clinic_id: uuid.UUID | None = CLINIC_A, mfa_verified: bool = False) -> Principal:
    return Principal(uuid.uuid4(), kind, clinic_id, uuid.uuid4(), mfa_verified)


def policy(required: bool):
    asked: list[bool] = []

    def mfa_required() -> bool:
        asked.append(True)
        return required

    mfa_required.asked = asked
    return mfa_required


@pytest.mark.parametrize("kind", list(AccountKind))
def test_a_principal_of_another_clinic_is_answered_not_found(kind):
    assert clinic_route_verdict(principal(kind, CLINIC_B, mfa_verified=True), CLINIC_A, policy(False)) is Verdict.NOT_FOUND


def test_an_operator_is_answered_not_found_on_a_clinic_route():
    assert clinic_route_verdict(principal(AccountKind.OPERATOR, None, True), CLINIC_A, policy(False)) is Verdict.NOT_FOUND


def test_another_clinics_principal_is_not_told_about_the_mfa_policy_either():
    mfa_required = policy(True)

    assert clinic_route_verdict(principal(AccountKind.STAFF, CLINIC_B), CLINIC_A, mfa_required) is Verdict.NOT_FOUND
    assert mfa_required.asked == []


@pytest.mark.parametrize("kind", [AccountKind.STAFF, AccountKind.PROVIDER])
def test_staff_and_providers_without_a_second_factor_are_turned_away_where_the_clinic_requires_it(kind):
    assert clinic_route_verdict(principal(kind), CLINIC_A, policy(True)) is Verdict.MFA_REQUIRED


@pytest.mark.parametrize("kind", [AccountKind.STAFF, AccountKind.PROVIDER])
def test_staff_and_providers_with_a_second_factor_are_asked_about_where_the_clinic_requires_it(kind):
    assert clinic_route_verdict(principal(kind, mfa_verified=True), CLINIC_A, policy(True)) is Verdict.ASK


@pytest.mark.parametrize("kind", [AccountKind.STAFF, AccountKind.PROVIDER, AccountKind.PATIENT])
def test_nobody_needs_a_second_factor_where_the_clinic_does_not_require_it(kind):
    assert clinic_route_verdict(principal(kind), CLINIC_A, policy(False)) is Verdict.ASK


def test_patients_are_exempt_from_the_clinics_mfa_requirement_and_the_policy_is_not_even_looked_up():
    mfa_required = policy(True)

    assert clinic_route_verdict(principal(AccountKind.PATIENT), CLINIC_A, mfa_required) is Verdict.ASK
    assert mfa_required.asked == []


@pytest.mark.parametrize(
    ("permission", "platform"),
    [("platform.clinics.manage", True), ("platform.accounts.manage", True), ("accounts.read", False),
     ("clinic.settings.manage", False), ("platformish.thing", False)],
)
def test_platform_permissions_are_the_ones_named_platform(permission, platform):
    assert is_platform_permission(permission) is platform
