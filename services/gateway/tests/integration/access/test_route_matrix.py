"""Every route of the gateway against callers who must not get through (OWASP API1, API5).

`ROUTES` lists every route the app serves (the operations endpoints aside) with what it
declared: the matrix fails when a route is added without being listed here, or when a listed
permission differs from the one the route declares with `requires`. Then, for each route that
applies: no token, an expired token, a tampered token -> 401; a principal of another clinic
(and an operator) on a clinic's route -> 404, answered exactly as for a clinic that does not
exist; a patient on staff routes and a specialist on another specialist's data -> 403 naming
the permission, or only their own data where their role grants it for their own; a clinic's
principal on a platform route -> 403. No answer carries the other tenant's identifiers.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.domain.principal import AccountKind
from gateway.entrypoints.access import Requirement, requirement_of

pytestmark = pytest.mark.integration

OPERATIONS = {"/healthz", "/readyz", "/metrics"}
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
EXAMPLES = {"role_key": "receptionist", "filename": "logo.png"}
SOME_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7c80")
ADMIN = "/v1/admin/clinics/<clinic_slug>"
ROLE = {"key": "front-desk-lead", "name": "Front desk lead", "grants": [{"permission": "accounts.read", "scope": "any"}]}
MONEY = {"amount_minor": 100, "currency": "RON"}
CLINIC_PROFILE = {"slug": "stolen", "name": "Stolen", "timezone": "UTC", "currency": "EUR", "locale": "en"}
LOCATION = {"name": "Intruder's room", "address": "Nowhere 1", "timezone": "UTC"}
SPECIALIST = {"name": "Intruder", "email": "intruder@example.com", "timezone": "UTC"}
SERVICE = {"name": "Intruder's service", "duration_minutes": 30, "price": MONEY}
CALENDAR = {"name": "Intruder's calendar", "kind": "standard"}
PLAN = {"name": "Intruder's plan", "kind": "subscription", "price": MONEY, "period": {"count": 1, "unit": "month"}}
PRODUCT = {"name": "Intruder's product", "price": MONEY}
WEEKLY_HOURS = {"timezone": "UTC", "rules": [{"weekday": 1, "start": "09:00", "end": "17:00"}]}
PATIENT = {"name": "Intruder", "email": "intruder@example.com", "mobile": "+40712345678"}
PLATFORM_CLINIC = "/v1/platform/clinics/<clinic_slug>"
TIER = {"key": "premium", "name": "Premium", "role_key": "patient", "period": {"count": 1, "unit": "year"}}
COMMERCIAL_PLAN = {"key": "stolen", "kind": "base", "name": "Stolen", "price": MONEY, "period": "month"}


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    kind: str  # "clinic" (requires a clinic permission), "platform", "signed_in" (any valid token), "public"
    permission: str | None = None
    owner: str | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Principals whose role grants the permission for their own resources only: they get 200
    # with nothing but their own.
    own_only: frozenset[AccountKind] = frozenset()

    @property
    def requirement(self) -> Requirement | None:
        return None if self.permission is None else Requirement(self.permission, self.owner)

    def path(self, slug: str, account_id: uuid.UUID) -> str:
        """The rule with its parameters filled in: the clinic's slug, `account_id` for the
        owner's (or an account's) id, and a plausible value for any other parameter."""

        def value(parameter: re.Match[str]) -> str:
            converter, name = parameter.group(1), parameter.group(2)
            if name == "clinic_slug":
                return slug
            if name in (self.owner, "account_id"):
                return str(account_id)
            return EXAMPLES.get(name) or (str(SOME_ID) if converter == "uuid" else "example")

        return PARAMETER.sub(value, self.rule)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


OWN = frozenset({AccountKind.PATIENT, AccountKind.PROVIDER})
ROUTES = [
    # identity: public, or for any signed-in account acting on itself
    Route("POST", "/v1/auth/login", "public", body={}),
    Route("POST", "/v1/auth/login/mfa", "public", body={}),
    Route("POST", "/v1/auth/refresh", "public", body={}),
    Route("POST", "/v1/auth/password-reset", "public", body={}),
    Route("POST", "/v1/auth/password-reset/confirm", "public", body={}),
    Route("POST", "/v1/auth/registration/confirm", "public", body={}),
    Route("POST", "/v1/auth/logout", "signed_in"),
    Route("POST", "/v1/auth/password", "signed_in", body={}),
    Route("GET", "/v1/me", "signed_in"),
    Route("POST", "/v1/me/mfa/totp", "signed_in"),
    Route("POST", "/v1/me/mfa/totp/confirm", "signed_in", body={}),
    Route("DELETE", "/v1/me/mfa", "signed_in", body={}),
    # a clinic's public routes
    Route("POST", "/v1/clinics/<clinic_slug>/patients/accounts", "public", body={}),
    # administration of a clinic
    Route("GET", f"{ADMIN}/security", "clinic", "clinic.settings.manage"),
    Route("PUT", f"{ADMIN}/security", "clinic", "clinic.settings.manage", body={"mfa_required_for_staff": True},
          headers={"If-Match": '"0"'}),
    Route("GET", f"{ADMIN}/accounts", "clinic", "accounts.read", own_only=OWN),
    Route("POST", f"{ADMIN}/accounts", "clinic", "accounts.manage",
          body={"kind": "staff", "email": "intruder@example.com", "display_name": "Intruder", "roles": ["clinic_admin"]}),
    Route("GET", f"{ADMIN}/accounts/<uuid:account_id>", "clinic", "accounts.read", owner="account_id"),
    Route("POST", f"{ADMIN}/accounts/<uuid:account_id>/mfa/reset", "clinic", "accounts.manage"),
    Route("GET", f"{ADMIN}/accounts/<uuid:account_id>/roles", "clinic", "roles.manage"),
    Route("PUT", f"{ADMIN}/accounts/<uuid:account_id>/roles/<role_key>", "clinic", "roles.manage"),
    Route("DELETE", f"{ADMIN}/accounts/<uuid:account_id>/roles/<role_key>", "clinic", "roles.manage"),
    Route("GET", f"{ADMIN}/roles", "clinic", "roles.manage"),
    Route("POST", f"{ADMIN}/roles", "clinic", "roles.manage", body=ROLE),
    Route("PUT", f"{ADMIN}/roles/<role_key>", "clinic", "roles.manage", body={"name": "x", "grants": []},
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/roles/<role_key>/archive", "clinic", "roles.manage", headers={"If-Match": '"1"'}),
    Route("GET", f"{ADMIN}/access-audit", "clinic", "audit.read"),
    # a clinic's catalog, for its staff
    Route("GET", f"{ADMIN}/profile", "clinic", "clinic.settings.manage"),
    Route("PUT", f"{ADMIN}/profile", "clinic", "clinic.settings.manage", body=CLINIC_PROFILE, headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/locations", "clinic", "clinic.settings.manage", body=LOCATION, headers={"If-Match": '"1"'}),
    Route("GET", f"{ADMIN}/locations/<uuid:location_id>", "clinic", "clinic.settings.manage"),
    Route("PUT", f"{ADMIN}/locations/<uuid:location_id>", "clinic", "clinic.settings.manage", body=LOCATION,
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/locations/<uuid:location_id>/archive", "clinic", "clinic.settings.manage",
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/providers", "clinic", "providers.manage", body=SPECIALIST),
    Route("GET", f"{ADMIN}/providers", "clinic", "providers.manage"),
    Route("GET", f"{ADMIN}/providers/<uuid:provider_id>", "clinic", "providers.manage"),
    Route("PUT", f"{ADMIN}/providers/<uuid:provider_id>", "clinic", "providers.manage", body=SPECIALIST,
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/providers/<uuid:provider_id>/archive", "clinic", "providers.manage",
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/services", "clinic", "catalog.manage", body=SERVICE),
    Route("GET", f"{ADMIN}/services", "clinic", "catalog.manage"),
    Route("GET", f"{ADMIN}/services/<uuid:service_id>", "clinic", "catalog.manage"),
    Route("PUT", f"{ADMIN}/services/<uuid:service_id>", "clinic", "catalog.manage", body=SERVICE,
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/services/<uuid:service_id>/archive", "clinic", "catalog.manage", headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/services/<uuid:service_id>/documents", "clinic", "catalog.manage",
          headers={"If-Match": '"1"'}),
    Route("GET", f"{ADMIN}/services/<uuid:service_id>/documents/<uuid:document_id>", "clinic", "catalog.manage"),
    Route("GET", f"{ADMIN}/services/<uuid:service_id>/documents/<uuid:document_id>/content", "clinic",
          "catalog.manage"),
    Route("POST", f"{ADMIN}/services/<uuid:service_id>/documents/<uuid:document_id>/archive", "clinic",
          "catalog.manage", headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/services/<uuid:service_id>/calendars", "clinic", "catalog.manage", body=CALENDAR),
    Route("GET", f"{ADMIN}/services/<uuid:service_id>/calendars", "clinic", "catalog.manage"),
    Route("GET", f"{ADMIN}/services/<uuid:service_id>/calendars/<uuid:calendar_id>", "clinic", "catalog.manage"),
    Route("PUT", f"{ADMIN}/services/<uuid:service_id>/calendars/<uuid:calendar_id>", "clinic", "catalog.manage",
          body=CALENDAR, headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/services/<uuid:service_id>/calendars/<uuid:calendar_id>/archive", "clinic",
          "catalog.manage", headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/plans", "clinic", "catalog.manage", body=PLAN),
    Route("GET", f"{ADMIN}/plans", "clinic", "catalog.manage"),
    Route("GET", f"{ADMIN}/plans/<uuid:plan_id>", "clinic", "catalog.manage"),
    Route("PUT", f"{ADMIN}/plans/<uuid:plan_id>", "clinic", "catalog.manage", body=PLAN, headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/plans/<uuid:plan_id>/archive", "clinic", "catalog.manage", headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/products", "clinic", "catalog.manage", body=PRODUCT),
    Route("GET", f"{ADMIN}/products", "clinic", "catalog.manage"),
    Route("GET", f"{ADMIN}/products/<uuid:product_id>", "clinic", "catalog.manage"),
    Route("PUT", f"{ADMIN}/products/<uuid:product_id>", "clinic", "catalog.manage", body=PRODUCT,
          headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/products/<uuid:product_id>/archive", "clinic", "catalog.manage", headers={"If-Match": '"1"'}),
    # a clinic's public catalog: reads for anyone (tests/integration/access/test_catalog_public_routes.py
    # checks them against every kind of caller)
    Route("GET", "/v1/clinics/<clinic_slug>/services", "public"),
    Route("GET", "/v1/clinics/<clinic_slug>/services/<uuid:service_id>", "public"),
    Route("GET", "/v1/clinics/<clinic_slug>/services/<uuid:service_id>/calendars", "public"),
    Route("GET", "/v1/clinics/<clinic_slug>/services/<uuid:service_id>/plans", "public"),
    Route("GET", "/v1/clinics/<clinic_slug>/services/<uuid:service_id>/documents/<uuid:document_id>/content",
          "public"),
    Route("GET", "/v1/clinics/<clinic_slug>/providers", "public"),
    # -- scheduling (issue 6): booking for anyone (tests: test_bookings_*.py), a booking read with
    # its own booking token ("booking": no login token opens it), and a clinic's scheduling for
    # its staff and specialists (tests: test_scheduling_admin_*.py) --
    Route("GET", "/v1/clinics/<clinic_slug>/services/<uuid:service_id>/slots", "public"),
    Route("POST", "/v1/clinics/<clinic_slug>/bookings", "public", body={}),
    Route("GET", "/v1/bookings/<uuid:booking_id>", "booking"),
    Route("GET", f"{ADMIN}/providers/<uuid:provider_id>/availability", "clinic", "availability.read"),
    Route("PUT", f"{ADMIN}/providers/<uuid:provider_id>/availability", "clinic", "availability.manage",
          body=WEEKLY_HOURS, headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/providers/<uuid:provider_id>/availability/away", "clinic", "availability.manage",
          body={"first_day": "2027-08-01", "last_day": "2027-08-14"}),
    Route("DELETE", f"{ADMIN}/providers/<uuid:provider_id>/availability/away/<uuid:away_id>", "clinic",
          "availability.manage"),
    Route("POST", f"{ADMIN}/providers/<uuid:provider_id>/availability/overrides", "clinic", "availability.manage",
          body={"day": "2027-08-01", "kind": "closed"}),
    Route("DELETE", f"{ADMIN}/providers/<uuid:provider_id>/availability/overrides/<uuid:override_id>", "clinic",
          "availability.manage"),
    Route("GET", f"{ADMIN}/patients", "clinic", "patients.read"),
    Route("POST", f"{ADMIN}/patients", "clinic", "patients.manage", body=PATIENT),
    Route("GET", f"{ADMIN}/patients/<uuid:patient_id>", "clinic", "patients.read"),
    Route("PUT", f"{ADMIN}/patients/<uuid:patient_id>", "clinic", "patients.manage", body=PATIENT,
          headers={"If-Match": '"1"'}),
    Route("GET", f"{ADMIN}/appointments", "clinic", "appointments.read", own_only=frozenset({AccountKind.PROVIDER})),
    Route("POST", f"{ADMIN}/appointments", "clinic", "appointments.book",
          body={"service_id": str(SOME_ID), "start": "2027-08-02T09:00:00+03:00", "patient": PATIENT}),
    Route("GET", f"{ADMIN}/appointments/<uuid:appointment_id>", "clinic", "appointments.read"),
    Route("POST", f"{ADMIN}/appointments/<uuid:appointment_id>/cancel", "clinic", "appointments.manage",
          body={"reason": "Intruder's cancel"}),
    Route("POST", f"{ADMIN}/appointments/<uuid:appointment_id>/reschedule", "clinic", "appointments.manage",
          body={"start": "2027-08-02T10:00:00+03:00"}),
    Route("POST", f"{ADMIN}/appointments/<uuid:appointment_id>/provider", "clinic", "appointments.manage",
          body={"provider_id": str(SOME_ID)}),
    Route("POST", f"{ADMIN}/appointments/<uuid:appointment_id>/complete", "clinic", "appointments.manage"),
    Route("POST", f"{ADMIN}/appointments/<uuid:appointment_id>/no-show", "clinic", "appointments.manage"),
    Route("GET", f"{ADMIN}/my/schedule", "clinic", "appointments.read", own_only=frozenset({AccountKind.PROVIDER})),
    Route("GET", f"{ADMIN}/scheduling-audit", "clinic", "audit.read"),
    # -- end of scheduling's block --
    # the platform's operators
    Route("POST", "/v1/platform/clinics", "platform", "platform.clinics.manage",
          body={"slug": "stolen", "name": "Stolen", "timezone": "UTC", "currency": "EUR", "locale": "en"}),
    Route("GET", "/v1/platform/clinics/<clinic_slug>", "platform", "platform.clinics.manage"),
    Route("POST", "/v1/platform/clinics/<clinic_slug>/admins", "platform", "platform.accounts.manage",
          body={"email": "intruder@example.com", "display_name": "Intruder"}),
    # -- the commercial model (issue 5): the platform's plans and clinics' subscriptions for
    # operators, what a clinic holds for its admins (tests: test_commercial_*.py) --
    Route("GET", "/v1/platform/plans", "platform", "platform.plans.manage"),
    Route("POST", "/v1/platform/plans", "platform", "platform.plans.manage", body=COMMERCIAL_PLAN),
    Route("GET", "/v1/platform/plans/<plan_key>", "platform", "platform.plans.manage"),
    Route("PUT", "/v1/platform/plans/<plan_key>", "platform", "platform.plans.manage", body=COMMERCIAL_PLAN,
          headers={"If-Match": '"1"'}),
    Route("POST", "/v1/platform/plans/<plan_key>/withdraw", "platform", "platform.plans.manage",
          headers={"If-Match": '"1"'}),
    Route("GET", "/v1/platform/capabilities", "platform", "platform.plans.manage"),
    Route("PUT", "/v1/platform/capabilities/<capability>/clearance", "platform", "platform.plans.manage",
          body={"cleared": True}),
    Route("POST", f"{PLATFORM_CLINIC}/subscription", "platform", "platform.clinics.manage", body={"plan_key": "pro"}),
    Route("GET", f"{PLATFORM_CLINIC}/subscription", "platform", "platform.clinics.manage"),
    Route("POST", f"{PLATFORM_CLINIC}/subscription/items", "platform", "platform.clinics.manage",
          body={"plan_key": "telerehab-pack"}),
    Route("POST", f"{PLATFORM_CLINIC}/subscription/items/<uuid:item_id>/cancel", "platform",
          "platform.clinics.manage", headers={"If-Match": '"1"'}),
    Route("POST", f"{PLATFORM_CLINIC}/subscription/items/<uuid:item_id>/migrate", "platform",
          "platform.clinics.manage", body={}, headers={"If-Match": '"1"'}),
    Route("GET", f"{PLATFORM_CLINIC}/overrides", "platform", "platform.clinics.manage"),
    Route("POST", f"{PLATFORM_CLINIC}/overrides", "platform", "platform.clinics.manage",
          body={"limits": {"patients": 5000}, "reason": "Intruder's deal"}),
    Route("POST", f"{PLATFORM_CLINIC}/overrides/<uuid:override_id>/revoke", "platform", "platform.clinics.manage"),
    Route("GET", f"{PLATFORM_CLINIC}/entitlements", "platform", "platform.clinics.manage"),
    Route("GET", f"{PLATFORM_CLINIC}/bill", "platform", "platform.clinics.manage"),
    Route("GET", f"{PLATFORM_CLINIC}/capabilities", "platform", "platform.clinics.manage"),
    Route("GET", f"{PLATFORM_CLINIC}/capabilities/<capability>", "platform", "platform.clinics.manage"),
    Route("POST", f"{PLATFORM_CLINIC}/capabilities/<capability>/pause", "platform", "platform.clinics.manage",
          body={"reason": "Intruder's pause"}),
    Route("DELETE", f"{PLATFORM_CLINIC}/capabilities/<capability>/pause", "platform", "platform.clinics.manage"),
    Route("GET", f"{ADMIN}/entitlements", "clinic", "clinic.settings.manage"),
    Route("GET", f"{ADMIN}/subscription", "clinic", "clinic.settings.manage"),
    Route("GET", f"{ADMIN}/bill", "clinic", "clinic.settings.manage"),
    Route("GET", f"{ADMIN}/usage", "clinic", "clinic.settings.manage"),
    Route("GET", f"{ADMIN}/capabilities", "clinic", "clinic.settings.manage"),
    # patient tiers and enrollments for a clinic's staff, and a patient's own care
    # (tests: test_patient_care_*.py)
    Route("GET", f"{ADMIN}/tiers", "clinic", "tiers.manage"),
    Route("POST", f"{ADMIN}/tiers", "clinic", "tiers.manage", body=TIER),
    Route("GET", f"{ADMIN}/tiers/<tier_key>", "clinic", "tiers.manage"),
    Route("PUT", f"{ADMIN}/tiers/<tier_key>", "clinic", "tiers.manage", body=TIER, headers={"If-Match": '"1"'}),
    Route("POST", f"{ADMIN}/tiers/<tier_key>/archive", "clinic", "tiers.manage", headers={"If-Match": '"1"'}),
    Route("PUT", f"{ADMIN}/patients/<uuid:patient_id>/tier", "clinic", "enrollments.manage",
          body={"tier_key": "premium"}),
    Route("GET", f"{ADMIN}/patients/<uuid:patient_id>/care", "clinic", "enrollments.read"),
    Route("POST", f"{ADMIN}/enrollments", "clinic", "enrollments.manage",
          body={"patient_id": str(SOME_ID), "plan_id": str(SOME_ID)}),
    Route("GET", f"{ADMIN}/enrollments", "clinic", "enrollments.read"),
    Route("GET", f"{ADMIN}/enrollments/<uuid:enrollment_id>", "clinic", "enrollments.read"),
    Route("POST", f"{ADMIN}/enrollments/<uuid:enrollment_id>/cancel", "clinic", "enrollments.manage"),
    Route("GET", "/v1/clinics/<clinic_slug>/me/care", "clinic", "enrollments.read",
          own_only=frozenset({AccountKind.PATIENT})),
    # -- end of the commercial model's block --
]


def routes(*kinds: str) -> list[pytest.param]:
    return [pytest.param(route, id=str(route)) for route in ROUTES if route.kind in kinds]


def call(platform, route: Route, slug: str, account_id: uuid.UUID, headers: dict[str, str]):
    return platform.client.open(route.path(slug, account_id), method=route.method, json=route.body,
                                headers={**route.headers, **headers})


# -- the list is complete and says what each route declares -----------------------------------


def test_every_route_of_the_app_is_in_the_matrix(platform):
    served = {f"{method} {rule.rule}" for rule in platform.app.url_map.iter_rules() if rule.rule not in OPERATIONS
              for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert served == {str(route) for route in ROUTES}, "list the new route in ROUTES, with what it requires"


def test_each_route_declares_the_permission_the_matrix_lists(platform):
    rules = {f"{method} {rule.rule}": rule for rule in platform.app.url_map.iter_rules()
             for method in rule.methods - {"HEAD", "OPTIONS"}}

    declared = {str(route): requirement_of(platform.app, rules[str(route)]) for route in ROUTES}

    assert declared == {str(route): route.requirement for route in ROUTES}


def test_every_admin_and_platform_route_declares_a_permission(platform):
    unprotected = [rule.rule for rule in platform.app.url_map.iter_rules()
                   if rule.rule.startswith(("/v1/admin/", "/v1/platform/")) and requirement_of(platform.app, rule) is None]

    assert unprotected == []


# -- bad tokens: 401 --------------------------------------------------------------------------


@pytest.mark.parametrize("route", routes("clinic", "platform", "signed_in"))
@pytest.mark.parametrize("token", ["none", "expired", "tampered", "not-bearer"])
def test_a_missing_or_bad_token_is_answered_401(platform, tenants, problem_of, leaked, route, token):
    mine = tenants.mine
    headers = {"none": {}, "expired": platform.expired(mine.admin), "tampered": platform.tampered(mine.admin),
               "not-bearer": {"Authorization": "Basic YWRtaW46YWRtaW4="}}[token]

    response = call(platform, route, mine.slug, mine.receptionist.account_id, headers)

    assert response.status_code == 401
    assert problem_of(response)["type"].endswith("/unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert leaked(response, mine, route.path(mine.slug, mine.receptionist.account_id)) == set()


def test_the_bad_token_answers_do_not_depend_on_whether_the_clinic_exists(platform, problem_of):
    route = next(r for r in ROUTES if str(r) == f"GET {ADMIN}/security")

    response = call(platform, route, "no-such-clinic", uuid.uuid4(), {})

    assert response.status_code == 401


# -- another tenant: 404, exactly as for a clinic that does not exist --------------------------


@pytest.mark.parametrize("route", routes("clinic"))
@pytest.mark.parametrize("caller", ["admin", "receptionist", "specialist", "patient", "operator"])
def test_another_clinics_principal_finds_nothing_there(platform, tenants, problem_of, leaked, route, caller):
    mine, other = tenants.mine, tenants.other
    intruder = platform.operator if caller == "operator" else getattr(other, caller)

    response = call(platform, route, mine.slug, mine.admin.account_id, intruder.headers)
    nowhere = call(platform, route, "no-such-clinic", mine.admin.account_id, intruder.headers)

    assert response.status_code == 404
    assert nowhere.status_code == 404
    body, unknown = problem_of(response), problem_of(nowhere)
    assert {k: v for k, v in body.items() if k != "instance"} == {k: v for k, v in unknown.items() if k != "instance"}
    assert leaked(response, mine, route.path(mine.slug, mine.admin.account_id)) == set()


@pytest.mark.parametrize("route", routes("clinic"))
def test_another_clinics_admin_naming_their_own_account_in_my_clinics_path_finds_nothing(platform, tenants, leaked,
                                                                                        route):
    mine, other = tenants.mine, tenants.other

    response = call(platform, route, mine.slug, other.admin.account_id, other.admin.headers)

    assert response.status_code == 404
    assert leaked(response, mine, route.path(mine.slug, other.admin.account_id)) == set()


@pytest.mark.parametrize("route", [p for p in routes("clinic") if "<uuid:account_id>" in p.values[0].rule])
def test_my_admin_naming_another_clinics_account_finds_no_account(platform, tenants, problem_of, leaked, route):
    mine, other = tenants.mine, tenants.other

    response = call(platform, route, mine.slug, other.patient.account_id, mine.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No account here."
    assert leaked(response, other, route.path(mine.slug, other.patient.account_id)) == set()


# -- the wrong principal of the right clinic: 403, or only their own ---------------------------


@pytest.mark.parametrize("route", routes("clinic"))
def test_a_patient_on_staff_routes_is_refused_or_sees_only_their_own(platform, tenants, problem_of, route):
    mine = tenants.mine
    target = mine.specialist.account_id

    response = call(platform, route, mine.slug, target, mine.patient.headers)

    assert_refused_or_own(response, route, mine.patient, mine, problem_of)


@pytest.mark.parametrize("route", routes("clinic"))
def test_a_specialist_on_another_specialists_data_is_refused_or_sees_only_their_own(platform, tenants, problem_of,
                                                                                   route):
    mine = tenants.mine
    target = mine.other_specialist.account_id

    response = call(platform, route, mine.slug, target, mine.specialist.headers)

    assert_refused_or_own(response, route, mine.specialist, mine, problem_of)


def assert_refused_or_own(response, route: Route, caller, clinic, problem_of) -> None:
    if caller.kind in route.own_only:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_data(as_text=True)
        others = [m for m in clinic.members if m is not caller]
        assert [m for m in others if str(m.account_id) in body or m.email in body] == []
        return
    assert response.status_code == 403, response.get_data(as_text=True)
    problem = problem_of(response)
    assert problem["type"].endswith("/forbidden")
    assert problem["permission"] == route.permission
    assert route.permission in problem["detail"]


@pytest.mark.parametrize("route", routes("platform"))
@pytest.mark.parametrize("caller", ["admin", "receptionist", "specialist", "patient"])
def test_a_clinics_principal_on_a_platform_route_is_refused(platform, tenants, problem_of, leaked, route, caller):
    mine, other = tenants.mine, tenants.other

    response = call(platform, route, mine.slug, mine.admin.account_id, getattr(other, caller).headers)

    assert response.status_code == 403
    problem = problem_of(response)
    assert (problem["type"].rsplit("/", 1)[1], problem["permission"]) == ("forbidden", route.permission)
    assert leaked(response, mine, route.path(mine.slug, mine.admin.account_id)) == set()


# -- public routes: anyone may call them, and they tell nobody about any tenant ---------------


@pytest.mark.parametrize("route", routes("public"))
def test_public_routes_answer_without_a_token_and_leak_no_tenant(platform, tenants, leaked, route):
    mine, other = tenants.mine, tenants.other

    response = call(platform, route, other.slug, other.admin.account_id, {})

    assert response.status_code not in (401, 403, 500), response.get_data(as_text=True)
    if route.method != "GET":
        assert response.status_code >= 400  # an empty body is refused: nothing was created
    assert leaked(response, mine, "") == set()
    assert leaked(response, other, route.path(other.slug, other.admin.account_id)) == set()
