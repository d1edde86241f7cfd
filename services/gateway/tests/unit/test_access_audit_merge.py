"""A clinic's access audit is the gateway's entries (sign-ins, MFA, accounts) and entitlements'
(roles and assignments) in one list, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gateway.adapters.entitlements import AuditEntry as RoleEntry
from gateway.domain.audit import AuditAction
from gateway.domain.audit import AuditEntry as IdentityEntry
from gateway.service_layer.clinic_administration import merge_audit

CLINIC = uuid.uuid4()
ADMIN, RITA = uuid.uuid4(), uuid.uuid4()
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def identity(minute: int, action: AuditAction = AuditAction.LOGIN_SUCCEEDED) -> IdentityEntry:
    return IdentityEntry(uuid.uuid4(), CLINIC, T0 + timedelta(minutes=minute), RITA, RITA, action, None,
                         {"method": "password"}, "203.0.113.7")


def role(minute: int, action: str = "role.granted") -> RoleEntry:
    return RoleEntry(str(uuid.uuid4()), T0 + timedelta(minutes=minute), ADMIN, action,
                     f"principal/{RITA}/role/receptionist", None, {"role_key": "receptionist"})


def test_entries_of_both_services_are_merged_newest_first():
    merged = merge_audit([identity(5), identity(1)], [role(3), role(0)], limit=10)

    assert [(line.source, line.at.minute) for line in merged] == [
        ("gateway", 5), ("entitlements", 3), ("gateway", 1), ("entitlements", 0)]


def test_only_the_newest_entries_up_to_the_limit_are_kept():
    merged = merge_audit([identity(5), identity(1)], [role(3), role(0)], limit=2)

    assert [line.at.minute for line in merged] == [5, 3]


def test_each_line_keeps_what_its_service_recorded():
    login, grant = identity(2, AuditAction.MFA_RESET), role(1)

    gateway_line, roles_line = merge_audit([login], [grant], limit=10)

    assert (gateway_line.id, gateway_line.action, gateway_line.actor_id, gateway_line.subject,
            gateway_line.after, gateway_line.client_address) == (
        str(login.id), "mfa.reset", RITA, str(RITA), {"method": "password"}, "203.0.113.7")
    assert (roles_line.id, roles_line.action, roles_line.actor_id, roles_line.subject, roles_line.after,
            roles_line.client_address) == (grant.id, "role.granted", ADMIN, grant.subject, grant.after, None)


def test_an_entry_about_nobody_has_no_subject():
    entry = IdentityEntry(uuid.uuid4(), CLINIC, T0, ADMIN, None, AuditAction.CLINIC_MFA_POLICY_CHANGED,
                          {"mfa_required_for_staff": False}, {"mfa_required_for_staff": True}, None)

    [line] = merge_audit([entry], [], limit=10)

    assert line.subject is None


def test_no_entries_merge_to_none():
    assert merge_audit([], [], limit=10) == []
