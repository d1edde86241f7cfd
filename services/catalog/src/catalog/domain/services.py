"""Services: what a clinic offers and patients book, with the documents attached to them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from catalog.domain.calendars import Calendar, check_calendar_windows
from catalog.domain.clinic import ClinicProfile
from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.domain.values import (
    PLATFORM_BOOKING_WINDOW,
    BookingWindow,
    Currencies,
    Money,
    RefundPolicy,
    check_booking_window,
    check_cancellation_window,
    check_money,
    check_name,
    check_references,
    check_refund_policy,
    duplicates,
)

MAX_DURATION_MINUTES = 12 * 60
MAX_BUFFER_MINUTES = 4 * 60
FORM_KINDS = ("intake", "consent")
TEMPLATE_KEY = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
MAX_REQUIRED_FORMS = 20


@dataclass(frozen=True)
class RequiredForm:
    """A form template generated for the patient when the service is booked."""

    kind: str
    template_key: str


@dataclass(frozen=True)
class Reminders:
    before_24h: bool = True
    before_1h: bool = True


@dataclass(frozen=True)
class PatientPolicy:
    """What patients are shown before they book: until when they may cancel, and what they get back."""

    cancellation_window_hours: int
    refund_policy: RefundPolicy


@dataclass(frozen=True)
class ServiceDetails:
    name: str
    description: str
    duration_minutes: int
    price: Money
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    provider_ids: tuple[uuid.UUID, ...] = ()
    required_forms: tuple[RequiredForm, ...] = ()
    # None: the clinic's default applies (and follows it when the clinic changes it).
    cancellation_window_hours: int | None = None
    refund_policy: RefundPolicy | None = None
    reminders: Reminders = Reminders()
    # None: the platform's default applies.
    minimum_notice_minutes: int | None = None
    booking_horizon_days: int | None = None

    def patient_policy(self, clinic: ClinicProfile) -> PatientPolicy:
        """The service's own window and refund policy where it has them, the clinic's otherwise."""
        return PatientPolicy(
            clinic.cancellation_window_hours if self.cancellation_window_hours is None
            else self.cancellation_window_hours,
            clinic.refund_policy if self.refund_policy is None else self.refund_policy,
        )

    def booking_window(self) -> BookingWindow:
        """The service's own notice and horizon where it has them, the platform's otherwise."""
        return PLATFORM_BOOKING_WINDOW.overridden(self.minimum_notice_minutes, self.booking_horizon_days)


@dataclass(frozen=True)
class Document:
    """A file attached to a service: a consent document, a preparation guide, information."""

    id: uuid.UUID
    kind: str
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    archived: bool = False

    def storage_key(self, clinic_id: uuid.UUID) -> str:
        return f"{clinic_id}/{self.id}"


@dataclass(frozen=True)
class Service(CatalogEntry[ServiceDetails]):
    """Attached documents are part of the service: attaching or archiving one is a change of the
    service (one version on), since its snapshot lists them."""

    noun = "service"
    documents: tuple[Document, ...] = ()

    def document(self, document_id: uuid.UUID) -> Document | None:
        return next((document for document in self.documents if document.id == document_id), None)

    def attach(self, document: Document, now: datetime) -> Service:
        self.refuse_if_archived()
        return replace(self, documents=(*self.documents, document), version=self.version + 1, updated_at=now)

    def archive_document(self, document_id: uuid.UUID, now: datetime) -> Service:
        self.refuse_if_archived()
        held = self.document(document_id)
        if held is None:
            raise KeyError(f"service {self.id} has no document {document_id}")
        if held.archived:
            return self
        documents = tuple(replace(held, archived=True) if document is held else document
                          for document in self.documents)
        return replace(self, documents=documents, version=self.version + 1, updated_at=now)


def check_service(details: ServiceDetails, clinic_currency: str, currencies: Currencies,
                  providers: Mapping[uuid.UUID, bool], calendars: Iterable[Calendar] = ()) -> list[RuleBroken]:
    """Every rule `details` breaks. `providers` maps the clinic's provider ids among those named
    to whether they are archived; `calendars` are the service's active ones (a new service has none)."""
    problems = check_name(details.name)
    if not 1 <= details.duration_minutes <= MAX_DURATION_MINUTES:
        problems.append(RuleBroken("duration_minutes", f"must be from 1 to {MAX_DURATION_MINUTES} minutes"))
    problems.extend(check_money(details.price, "price", clinic_currency, currencies))
    for field, minutes in (("buffer_before_minutes", details.buffer_before_minutes),
                           ("buffer_after_minutes", details.buffer_after_minutes)):
        if not 0 <= minutes <= MAX_BUFFER_MINUTES:
            problems.append(RuleBroken(field, f"must be from 0 to {MAX_BUFFER_MINUTES} minutes"))
    problems.extend(check_references(details.provider_ids, "provider_ids", "provider", providers))
    problems.extend(_check_forms(details.required_forms))
    if details.cancellation_window_hours is not None:
        problems.extend(check_cancellation_window(details.cancellation_window_hours, "cancellation_window_hours"))
    if details.refund_policy is not None:
        problems.extend(check_refund_policy(details.refund_policy, "refund_policy"))
    problems.extend(check_booking_window(details.minimum_notice_minutes, details.booking_horizon_days)
                    or check_calendar_windows(details.booking_window(), calendars))
    return problems


def _check_forms(forms: tuple[RequiredForm, ...]) -> list[RuleBroken]:
    if len(forms) > MAX_REQUIRED_FORMS:
        return [RuleBroken("required_forms", f"at most {MAX_REQUIRED_FORMS} forms")]
    problems = [RuleBroken(f"required_forms.{position}", "is listed twice") for position in duplicates(forms)]
    for position, form in enumerate(forms):
        if form.kind not in FORM_KINDS:
            problems.append(RuleBroken(f"required_forms.{position}.kind", f"must be one of {', '.join(FORM_KINDS)}"))
        if not TEMPLATE_KEY.fullmatch(form.template_key):
            problems.append(RuleBroken(f"required_forms.{position}.template_key",
                                       "use 1-64 lowercase letters, digits and inner . _ -"))
    return problems
