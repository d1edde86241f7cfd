"""Events published by the catalog service.

Every event carries the full snapshot of what it is about (at its `version`), so consumers keep a
read model without calling back: keep the snapshot with the highest version, whatever the order
of arrival. Archiving publishes the `.archived` event with the final snapshot (`archived: true`);
nothing in the catalog is ever deleted, because history (appointments, enrollments) refers to it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from clinic_contracts.envelope import Event

# How far ahead a service is booked when it sets nothing, and the bounds of its own settings: one
# place for catalog's rules, scheduling's defaults and these descriptions.
DEFAULT_MINIMUM_NOTICE_MINUTES = 60
DEFAULT_BOOKING_HORIZON_DAYS = 180
LONGEST_MINIMUM_NOTICE_MINUTES = 30 * 24 * 60
LONGEST_BOOKING_HORIZON_DAYS = 2 * 365


class Money(BaseModel):
    amount_minor: int = Field(description="Amount in the currency's minor unit (bani, cents), never negative.")
    currency: str = Field(description="ISO 4217 code; always the clinic's currency.")


class RefundPolicy(BaseModel):
    """What a patient who cancels gets back, as shown to patients."""

    kind: Literal["full", "partial", "none"]
    percent: int | None = Field(default=None, description="Share refunded, 1-99; only for a partial refund.")
    text: str = Field(default="", description="The policy in the clinic's words, shown to patients.")


class Location(BaseModel):
    location_id: uuid.UUID
    name: str
    address: str
    timezone: str = Field(description="IANA time zone name of the location.")
    archived: bool = False


class ClinicUpsertedV1(Event):
    """A clinic was created or its profile changed. Carries the full snapshot so consumers can
    keep a read model without calling back."""

    event_type: ClassVar[str] = "catalog.clinic.upserted.v1"
    producer: ClassVar[str] = "catalog"

    clinic_id: uuid.UUID
    slug: str = Field(description="URL-safe handle used in public paths.")
    name: str
    timezone: str = Field(description="IANA time zone name, e.g. Europe/Bucharest.")
    currency: str = Field(description="ISO 4217 code, e.g. RON.")
    locale: str = Field(description="BCP 47 language tag, e.g. ro-RO.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool = False
    updated_at: AwareDatetime
    locations: list[Location] = Field(default_factory=list, description="Every location, archived ones included.")
    cancellation_window_hours: int = Field(
        default=24, description="Default for services: a patient may cancel until this many hours before the start.")
    refund_policy: RefundPolicy = Field(
        default_factory=lambda: RefundPolicy(kind="full"), description="Default refund policy of the clinic's services.")

    def subject(self) -> str:
        return str(self.clinic_id)


# -- providers (specialists) ------------------------------------------------------------------


class ProviderSnapshot(Event):
    """A specialist of a clinic, as catalog holds it."""

    clinic_id: uuid.UUID
    provider_id: uuid.UUID
    name: str
    email: str
    mobile: str | None = Field(description="E.164, e.g. +40712345678; none when not given.")
    timezone: str = Field(description="IANA time zone the specialist's availability is written in.")
    location_ids: list[uuid.UUID] = Field(description="Locations of the clinic where the specialist works.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.provider_id)


class ProviderUpsertedV1(ProviderSnapshot):
    """A specialist was added or changed."""

    event_type: ClassVar[str] = "catalog.provider.upserted.v1"
    producer: ClassVar[str] = "catalog"


class ProviderArchivedV1(ProviderSnapshot):
    """A specialist was archived: no longer assignable or bookable; history keeps referring to them."""

    event_type: ClassVar[str] = "catalog.provider.archived.v1"
    producer: ClassVar[str] = "catalog"


# -- services ---------------------------------------------------------------------------------


class RequiredForm(BaseModel):
    kind: Literal["intake", "consent"]
    template_key: str = Field(description="The form template generated when the service is booked.")


class Document(BaseModel):
    """An attached document's metadata; the file itself is downloaded from catalog."""

    document_id: uuid.UUID
    kind: Literal["consent", "preparation", "information"]
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the file.")
    archived: bool


class Reminders(BaseModel):
    before_24h: bool = Field(description="Remind patient and specialist 24 hours before the start.")
    before_1h: bool = Field(description="Remind them one hour before the start.")


class ServiceSnapshot(Event):
    """A service a clinic offers, as catalog holds it."""

    clinic_id: uuid.UUID
    service_id: uuid.UUID
    name: str
    description: str
    duration_minutes: int
    price: Money
    buffer_before_minutes: int
    buffer_after_minutes: int
    provider_ids: list[uuid.UUID] = Field(description="The specialists who deliver it (active ones of the clinic).")
    required_forms: list[RequiredForm]
    documents: list[Document]
    cancellation_window_hours: int | None = Field(
        description="Overrides the clinic's; none means the clinic's (catalog.clinic.upserted.v1).")
    refund_policy: RefundPolicy | None = Field(
        description="Overrides the clinic's; none means the clinic's (catalog.clinic.upserted.v1).")
    reminders: Reminders
    minimum_notice_minutes: int | None = Field(
        default=None, description=f"A slot is offered until this many minutes before it starts (0 to "
                                  f"{LONGEST_MINIMUM_NOTICE_MINUTES}); none means the platform's default, "
                                  f"{DEFAULT_MINIMUM_NOTICE_MINUTES}.")
    booking_horizon_days: int | None = Field(
        default=None, description=f"Slots are offered at most this many days ahead (1 to "
                                  f"{LONGEST_BOOKING_HORIZON_DAYS}); none means the platform's default, "
                                  f"{DEFAULT_BOOKING_HORIZON_DAYS}.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.service_id)


class ServiceUpsertedV1(ServiceSnapshot):
    """A service was added or changed (including its attached documents)."""

    event_type: ClassVar[str] = "catalog.service.upserted.v1"
    producer: ClassVar[str] = "catalog"


class ServiceArchivedV1(ServiceSnapshot):
    """A service was archived: no longer offered; history keeps referring to it."""

    event_type: ClassVar[str] = "catalog.service.archived.v1"
    producer: ClassVar[str] = "catalog"


# -- booking calendars ------------------------------------------------------------------------


class HourWindow(BaseModel):
    weekday: int = Field(description="ISO weekday: 1 Monday ... 7 Sunday.")
    start: str = Field(description="Local wall-clock time HH:MM in the calendar's time zone.")
    end: str = Field(description="Local wall-clock time HH:MM, after start; 24:00 is the end of the day.")


class CalendarSnapshot(Event):
    """One booking calendar of a service: its own price, hours and bookable dates."""

    clinic_id: uuid.UUID
    calendar_id: uuid.UUID
    service_id: uuid.UUID
    name: str
    kind: Literal["standard", "promotion", "custom_hours"]
    price: Money | None = Field(description="Overrides the service's price; none means the service's.")
    timezone: str = Field(description="IANA time zone of the hour windows.")
    hours: list[HourWindow] = Field(description="When it may be booked; empty means whenever specialists are available.")
    bookable_from: date | None = Field(description="First bookable day (inclusive); none means open.")
    bookable_until: date | None = Field(description="Last bookable day (inclusive); none means open.")
    minimum_notice_minutes: int | None = Field(
        default=None, description=f"Overrides the service's minimum notice through this calendar (0 to "
                                  f"{LONGEST_MINIMUM_NOTICE_MINUTES} minutes); none means the service's.")
    booking_horizon_days: int | None = Field(
        default=None, description=f"Overrides the service's booking horizon through this calendar (1 to "
                                  f"{LONGEST_BOOKING_HORIZON_DAYS} days); none means the service's.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.calendar_id)


class CalendarUpsertedV1(CalendarSnapshot):
    """A booking calendar was added or changed."""

    event_type: ClassVar[str] = "catalog.calendar.upserted.v1"
    producer: ClassVar[str] = "catalog"


class CalendarArchivedV1(CalendarSnapshot):
    """A booking calendar was archived: nothing more is booked through it."""

    event_type: ClassVar[str] = "catalog.calendar.archived.v1"
    producer: ClassVar[str] = "catalog"


# -- service plans ----------------------------------------------------------------------------


class Period(BaseModel):
    count: int
    unit: Literal["day", "week", "month", "year"]


class BundledProduct(BaseModel):
    product_id: uuid.UUID
    quantity: int


class PlanSnapshot(Event):
    """A service plan: a session package, a time-based subscription, or a hybrid of both."""

    clinic_id: uuid.UUID
    plan_id: uuid.UUID
    name: str
    description: str
    kind: Literal["session_package", "subscription", "hybrid"]
    price: Money = Field(description="For a subscription, the price of one period.")
    sessions: int | None = Field(description="Sessions included (package, hybrid).")
    session_validity: Period | None = Field(
        description="How long after enrollment the sessions may be used; none means no expiry.")
    period: Period | None = Field(description="Subscription only: what one payment buys; access renews with it.")
    access_window: Period | None = Field(
        description="Hybrid only: how long the access grants last, tracked apart from the sessions.")
    service_ids: list[uuid.UUID] = Field(description="Services the sessions can be used for.")
    access_grants: list[Literal["telerehab", "library"]]
    products: list[BundledProduct] = Field(description="Products included in the programme (a reference, not a sale).")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.plan_id)


class PlanUpsertedV1(PlanSnapshot):
    """A service plan was added or changed."""

    event_type: ClassVar[str] = "catalog.plan.upserted.v1"
    producer: ClassVar[str] = "catalog"


class PlanArchivedV1(PlanSnapshot):
    """A service plan was archived: no new enrollments; existing ones keep referring to it."""

    event_type: ClassVar[str] = "catalog.plan.archived.v1"
    producer: ClassVar[str] = "catalog"


# -- products ---------------------------------------------------------------------------------


class ProductSnapshot(Event):
    """A physical product a clinic lists (a reference catalog: no stock, orders or sales)."""

    clinic_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    description: str
    price: Money = Field(description="Reference price, for information; catalog sells nothing.")
    metadata: dict[str, str] = Field(description="Free key/values, e.g. size, brand.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.product_id)


class ProductUpsertedV1(ProductSnapshot):
    """A product was added or changed."""

    event_type: ClassVar[str] = "catalog.product.upserted.v1"
    producer: ClassVar[str] = "catalog"


class ProductArchivedV1(ProductSnapshot):
    """A product was archived: no longer bundled into new plans."""

    event_type: ClassVar[str] = "catalog.product.archived.v1"
    producer: ClassVar[str] = "catalog"
