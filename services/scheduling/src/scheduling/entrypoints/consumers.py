"""The events scheduling consumes (its queue is `<namespace>.scheduling`): catalog's, to keep its
read models, and billing's payment outcomes, which move appointments (see
scheduling.service_layer.appointments for what each does).

Each handler maps only the fields scheduling keeps: catalog may add fields to its events at
any time. An `.archived` event carries the final snapshot (`archived: true`) and is kept like
any other version.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events import billing
from clinic_contracts.events import catalog as events
from clinic_runtime.db import utcnow
from clinic_runtime.messaging.consumers import EventHandlers
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.adapters.offerings import SqlCalendarDirectory, SqlProviderDirectory, SqlServiceDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.domain.offerings import (
    CalendarSnapshot,
    HourWindow,
    Money,
    ProviderSnapshot,
    RefundPolicy,
    Reminders,
    RequiredForm,
    ServiceSnapshot,
)
from scheduling.service_layer.appointments import payment_failed, payment_succeeded
from scheduling.service_layer.clinic_directory import record_clinic
from scheduling.service_layer.offerings import record_calendar, record_provider, record_service
from scheduling.service_layer.unit_of_work import SqlUnitOfWork

handlers = EventHandlers("scheduling")


@handlers.on(events.ClinicUpsertedV1)
def on_clinic_upserted(session: Session, event: events.ClinicUpsertedV1, _envelope: Envelope) -> None:
    record_clinic(SqlClinicDirectory(session), clinic_snapshot(event))


@handlers.on(events.ProviderUpsertedV1, events.ProviderArchivedV1)
def on_provider(session: Session, event: events.ProviderSnapshot, _envelope: Envelope) -> None:
    record_provider(SqlProviderDirectory(session), provider_snapshot(event))


@handlers.on(events.ServiceUpsertedV1, events.ServiceArchivedV1)
def on_service(session: Session, event: events.ServiceSnapshot, _envelope: Envelope) -> None:
    record_service(SqlServiceDirectory(session), service_snapshot(event))


@handlers.on(events.CalendarUpsertedV1, events.CalendarArchivedV1)
def on_calendar(session: Session, event: events.CalendarSnapshot, _envelope: Envelope) -> None:
    record_calendar(SqlCalendarDirectory(session), calendar_snapshot(event))


@handlers.on(billing.PaymentSucceededV1)
def on_payment_succeeded(session: Session, event: billing.PaymentSucceededV1, _envelope: Envelope) -> None:
    payment_succeeded(SqlUnitOfWork(session), event.clinic_id, event.appointment_id, event.payment_id,
                      _money(event.amount), utcnow())


@handlers.on(billing.PaymentFailedV1)
def on_payment_failed(session: Session, event: billing.PaymentFailedV1, _envelope: Envelope) -> None:
    payment_failed(SqlUnitOfWork(session), event.clinic_id, event.appointment_id, utcnow())


def clinic_snapshot(event: events.ClinicUpsertedV1) -> ClinicSnapshot:
    return ClinicSnapshot(
        clinic_id=event.clinic_id, slug=event.slug, name=event.name, timezone=event.timezone,
        currency=event.currency, locale=event.locale, version=event.version,
        archived=event.archived, updated_at=event.updated_at,
        cancellation_window_hours=event.cancellation_window_hours,
        refund_policy=_refund_policy(event.refund_policy),
    )


def provider_snapshot(event: events.ProviderSnapshot) -> ProviderSnapshot:
    """The specialist without contact details (notifications keeps those from catalog itself)."""
    return ProviderSnapshot(
        clinic_id=event.clinic_id, provider_id=event.provider_id, name=event.name, timezone=event.timezone,
        location_ids=tuple(event.location_ids), version=event.version, archived=event.archived,
        updated_at=event.updated_at,
    )


def service_snapshot(event: events.ServiceSnapshot) -> ServiceSnapshot:
    return ServiceSnapshot(
        clinic_id=event.clinic_id, service_id=event.service_id, name=event.name,
        duration_minutes=event.duration_minutes, price=_money(event.price),
        buffer_before_minutes=event.buffer_before_minutes, buffer_after_minutes=event.buffer_after_minutes,
        provider_ids=tuple(event.provider_ids),
        required_forms=tuple(RequiredForm(form.kind, form.template_key) for form in event.required_forms),
        cancellation_window_hours=event.cancellation_window_hours,
        refund_policy=_refund_policy(event.refund_policy) if event.refund_policy else None,
        reminders=Reminders(before_24h=event.reminders.before_24h, before_1h=event.reminders.before_1h),
        version=event.version, archived=event.archived, updated_at=event.updated_at,
        minimum_notice_minutes=event.minimum_notice_minutes, booking_horizon_days=event.booking_horizon_days,
    )


def calendar_snapshot(event: events.CalendarSnapshot) -> CalendarSnapshot:
    return CalendarSnapshot(
        clinic_id=event.clinic_id, calendar_id=event.calendar_id, service_id=event.service_id,
        name=event.name, kind=event.kind, price=_money(event.price) if event.price else None,
        timezone=event.timezone,
        hours=tuple(HourWindow(window.weekday, window.start, window.end) for window in event.hours),
        bookable_from=event.bookable_from, bookable_until=event.bookable_until,
        version=event.version, archived=event.archived, updated_at=event.updated_at,
        minimum_notice_minutes=event.minimum_notice_minutes, booking_horizon_days=event.booking_horizon_days,
    )


def _money(money: events.Money) -> Money:
    return Money(amount_minor=money.amount_minor, currency=money.currency)


def _refund_policy(policy: events.RefundPolicy) -> RefundPolicy:
    return RefundPolicy(kind=policy.kind, percent=policy.percent, text=policy.text)
