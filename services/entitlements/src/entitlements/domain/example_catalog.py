"""The example platform catalog: the four medical plans of plans-permissions-medical-ro.txt.

Each row of the seed's feature tables is one feature key, with what each plan does with it:
included, not offered, or sold as an add-on. Included users are the `staff_users` limit (every
staff or clinician account); each of them may be a clinician, so `specialists` equals it. The
extra user (€5 / month) adds a staff user and the clinician licence (€10 / month) adds a staff
user who may be a clinician; both are add-ons bought by quantity on the plans that cap users.
The seed caps nothing else, so patients, locations and storage are unlimited. Enterprise's price
is a range (€299–€399); it is listed at €299 and a dearer contract is a sales matter. The seed
prices none of the integration add-ons, so they are published priced on quote (no list price)
and cannot be subscribed to until an operator publishes a priced version.
"""

from __future__ import annotations

from dataclasses import dataclass

from entitlements.domain.plans import UNLIMITED, Money, Period, PlanKind, Terms

PLANS = ("starter", "standard", "business", "enterprise")
INCLUDED = "included"
NOT_OFFERED = "-"


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    kind: PlanKind
    name: str
    terms: Terms
    available_with: frozenset[str]


def eur(euros: int) -> Money:
    return Money(euros * 100, "EUR")


# (feature, Starter, Standard, Business, Enterprise): INCLUDED, NOT_OFFERED or the add-on's key.
FEATURE_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # Programări & flux pacienți
    ("appointments.booking", INCLUDED, INCLUDED, INCLUDED, INCLUDED),  # online / call center / walk-in
    ("appointments.multi_provider_calendar", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("appointments.cancellation_and_deposit_policies", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("appointments.waiting_list", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("reminders.email", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("reminders.sms", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("reminders.push", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    ("reminders.omnichannel", NOT_OFFERED, NOT_OFFERED, NOT_OFFERED, INCLUDED),
    ("reception.check_in", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("reception.queue_board", NOT_OFFERED, NOT_OFFERED, "queue-board", INCLUDED),
    # EMR / dosar pacient
    ("emr.patient_record", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("emr.specialty_templates", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("emr.treatment_plan", INCLUDED, INCLUDED, INCLUDED, INCLUDED),  # evolution, attachments
    ("emr.prescriptions_and_referrals", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("emr.digital_consent", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("emr.visit_history", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("emr.role_restrictions", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    # Plăți, facturare, decontări
    ("billing.invoices", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("billing.reception_pos_and_online_payments", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("billing.medical_packages", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("billing.treatment_cost_estimates", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("billing.corporate_and_insurer_settlements", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    # One row in both the payments and the integrations table (cash register / 1C / ERP).
    ("integrations.accounting_erp", NOT_OFFERED, "erp-integration", "erp-integration", INCLUDED),
    ("billing.dunning", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    # Laborator & imagistică
    ("lab.orders_and_results", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("lab.investigation_panels", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("integrations.lis_hl7", NOT_OFFERED, NOT_OFFERED, "lis-integration", INCLUDED),
    ("integrations.pacs_ris_dicom", NOT_OFFERED, NOT_OFFERED, "pacs-integration", INCLUDED),
    ("lab.patient_result_link", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    # Personal, ture & HR
    ("staff.shifts_and_leave", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("staff.targets", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("staff.commissions", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    ("staff.performance_review", NOT_OFFERED, NOT_OFFERED, INCLUDED, INCLUDED),
    # Marketing & retenție
    ("marketing.patient_crm", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("marketing.campaigns", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("marketing.reviews_nps", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("marketing.coupons_and_gift_cards", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    # Securitate, GDPR & audit
    ("security.rbac_and_login_log", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("security.record_access_log", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("security.consent_and_retention_policies", NOT_OFFERED, INCLUDED, INCLUDED, INCLUDED),
    ("security.encryption", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("security.sso_ip_allowlist_backup", NOT_OFFERED, NOT_OFFERED, "sso-security", INCLUDED),
    # Integrări & API
    ("integrations.payment_processors", INCLUDED, INCLUDED, INCLUDED, INCLUDED),
    ("integrations.e_prescription_siui_cnas", NOT_OFFERED, NOT_OFFERED, "e-prescription", INCLUDED),
    ("integrations.api_and_webhooks", NOT_OFFERED, NOT_OFFERED, "api-webhooks", INCLUDED),
    ("patient_app", NOT_OFFERED, NOT_OFFERED, "patient-app", INCLUDED),
)

# key: (name, monthly price, included users; UNLIMITED for Enterprise)
BASE_PLANS: dict[str, tuple[str, Money, int | None]] = {
    "starter": ("Starter", eur(49), 3),
    "standard": ("Standard", eur(99), 6),
    "business": ("Business", eur(199), 12),
    "enterprise": ("Enterprise", eur(299), UNLIMITED),
}

ADD_ON_NAMES: dict[str, str] = {
    "queue-board": "Waiting-room queue board",
    "erp-integration": "Cash register / 1C / ERP integration",
    "lis-integration": "Laboratory (LIS, HL7) integration",
    "pacs-integration": "Imaging (PACS/RIS, DICOM) integration",
    "sso-security": "SSO, IP allowlist and external backup",
    "e-prescription": "e-Prescription / SIUI / CNAS integration",
    "api-webhooks": "External API and webhooks",
    "patient-app": "Patient app",
}

CAPPED_PLANS = frozenset(key for key, (_, _, users) in BASE_PLANS.items() if users is not UNLIMITED)


def _base_entry(key: str) -> CatalogEntry:
    name, price, users = BASE_PLANS[key]
    column = 1 + PLANS.index(key)
    features = frozenset(row[0] for row in FEATURE_ROWS if row[column] == INCLUDED)
    limits = {"staff_users": users, "specialists": users, "patients": UNLIMITED, "locations": UNLIMITED,
              "storage_gb": UNLIMITED}
    return CatalogEntry(key, PlanKind.BASE, name, Terms(features, limits, price, Period.MONTH), frozenset())


def _add_on_entry(key: str) -> CatalogEntry:
    features = set()
    sold_with = set()
    for row in FEATURE_ROWS:
        for plan, offer in zip(PLANS, row[1:]):
            if offer == key:
                features.add(row[0])
                sold_with.add(plan)
    return CatalogEntry(key, PlanKind.ADD_ON, ADD_ON_NAMES[key], Terms(frozenset(features), {}, None, Period.MONTH),
                        frozenset(sold_with))


SEATS = (
    CatalogEntry("extra-user", PlanKind.ADD_ON, "Extra user",
                 Terms(frozenset(), {"staff_users": 1}, eur(5), Period.MONTH), CAPPED_PLANS),
    CatalogEntry("extra-clinician", PlanKind.ADD_ON, "Extra clinician licence",
                 Terms(frozenset(), {"staff_users": 1, "specialists": 1}, eur(10), Period.MONTH), CAPPED_PLANS),
)

EXAMPLE_CATALOG: tuple[CatalogEntry, ...] = (
    *(_base_entry(key) for key in PLANS),
    *(_add_on_entry(key) for key in ADD_ON_NAMES),
    *SEATS,
)
