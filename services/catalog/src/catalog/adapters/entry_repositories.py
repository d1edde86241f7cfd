"""Where providers, services (with their documents), calendars, plans and products are kept."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row, select

from catalog.adapters.entries import Entries, Link, Listing, SqlEntries
from catalog.adapters.orm import (
    calendars,
    documents,
    plan_products,
    plan_services,
    plans,
    products,
    provider_locations,
    providers,
    service_providers,
    services,
)
from catalog.domain.calendars import Calendar, CalendarDetails, HourWindow
from catalog.domain.entries import CatalogEntry
from catalog.domain.plans import BundledProduct, Plan, PlanDetails
from catalog.domain.products import Product, ProductDetails
from catalog.domain.providers import Provider, ProviderDetails
from catalog.domain.services import Document, Reminders, RequiredForm, Service, ServiceDetails
from catalog.domain.values import Money, Period, RefundPolicy

E = TypeVar("E", bound=CatalogEntry)

# -- ports ------------------------------------------------------------------------------------


class PricedEntries(Entries[E], Protocol):
    def priced(self, clinic_id: uuid.UUID) -> list[uuid.UUID]:
        """Active entries with a price of their own (in the clinic's currency)."""


class ProviderRepository(Entries[Provider], Protocol):
    def working_at(self, clinic_id: uuid.UUID, location_id: uuid.UUID) -> list[uuid.UUID]:
        """Active providers who work at the location."""


class ServiceRepository(PricedEntries[Service], Protocol):
    def page(self, clinic_id: uuid.UUID, listing: Listing, provider_id: uuid.UUID | None = None) -> list[Service]:
        """As `Entries.page`; with `provider_id`, only services that specialist delivers."""

    def delivered_by(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> list[uuid.UUID]:
        """Active services the provider is assigned to."""


class CalendarRepository(PricedEntries[Calendar], Protocol):
    def page(self, clinic_id: uuid.UUID, listing: Listing, service_id: uuid.UUID | None = None) -> list[Calendar]:
        """As `Entries.page`; with `service_id`, only that service's calendars."""

    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[Calendar]:
        """The service's active calendars."""


class PlanRepository(PricedEntries[Plan], Protocol):
    def page(self, clinic_id: uuid.UUID, listing: Listing, service_id: uuid.UUID | None = None,
             product_id: uuid.UUID | None = None) -> list[Plan]:
        """As `Entries.page`; only plans whose sessions serve `service_id`, or that bundle `product_id`."""

    def using_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[uuid.UUID]:
        """Active plans whose sessions can be used for the service."""

    def bundling(self, clinic_id: uuid.UUID, product_id: uuid.UUID) -> list[uuid.UUID]:
        """Active plans that include the product."""


ProductRepository = PricedEntries[Product]


# -- SQL adapters -----------------------------------------------------------------------------


def _lifecycle(entry) -> dict[str, Any]:
    return dict(version=entry.version, archived=entry.archived, updated_at=entry.updated_at)


def _money(row: Row) -> Money | None:
    if row.price_amount_minor is None:
        return None
    return Money(row.price_amount_minor, row.price_currency)


def _money_columns(money: Money | None) -> dict[str, Any]:
    return dict(price_amount_minor=money.amount_minor if money else None,
                price_currency=money.currency if money else None)


def _period(count: int | None, unit: str | None) -> Period | None:
    return None if count is None else Period(count, unit)


def _period_columns(name: str, period: Period | None) -> dict[str, Any]:
    return {f"{name}_count": period.count if period else None, f"{name}_unit": period.unit if period else None}


def _active_owners(link_table, owner: str, entry_table, clinic_id: uuid.UUID, column: str, value: uuid.UUID):
    """Ids of active entries of `entry_table` linked through `link_table` to `value`."""
    return (
        select(link_table.c[owner])
        .join(entry_table, (entry_table.c.clinic_id == link_table.c.clinic_id)
              & (entry_table.c.id == link_table.c[owner]))
        .where(link_table.c.clinic_id == clinic_id, link_table.c[column] == value, entry_table.c.archived.is_(False))
        .order_by(link_table.c[owner])
    )


class SqlPricedEntries(SqlEntries[E]):
    """Entries of a table with a price (`price_amount_minor` NULL where the entry has none of its own)."""

    def priced(self, clinic_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._session.scalars(
            select(self.table.c.id)
            .where(self.table.c.clinic_id == clinic_id, self.table.c.archived.is_(False),
                   self.table.c.price_amount_minor.is_not(None))
            .order_by(self.table.c.id)))


class SqlProviders(SqlEntries[Provider]):
    table = providers
    links = {"locations": Link(provider_locations, "provider_id", "position", lambda provider: [
        {"location_id": location_id, "position": position}
        for position, location_id in enumerate(provider.details.location_ids)
    ])}

    def working_at(self, clinic_id: uuid.UUID, location_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._session.scalars(
            _active_owners(provider_locations, "provider_id", providers, clinic_id, "location_id", location_id)))

    def _columns(self, provider: Provider) -> dict[str, Any]:
        d = provider.details
        return dict(name=d.name, email=d.email, mobile=d.mobile, timezone=d.timezone, **_lifecycle(provider))

    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> Provider:
        details = ProviderDetails(row.name, row.email, row.mobile, row.timezone,
                                  tuple(link.location_id for link in linked["locations"]))
        return Provider(row.id, row.clinic_id, details, row.version, row.updated_at, row.archived)


def _document_rows(service: Service) -> list[dict[str, Any]]:
    return [dict(id=d.id, kind=d.kind, title=d.title, filename=d.filename, content_type=d.content_type,
                 size_bytes=d.size_bytes, sha256=d.sha256, uploaded_at=d.uploaded_at, archived=d.archived)
            for d in service.documents]


class SqlServices(SqlPricedEntries[Service]):
    table = services
    links = {
        "providers": Link(service_providers, "service_id", "position", lambda service: [
            {"provider_id": provider_id, "position": position}
            for position, provider_id in enumerate(service.details.provider_ids)
        ]),
        # Ids are UUIDv7: id order is upload order (to the millisecond).
        "documents": Link(documents, "service_id", "id", _document_rows),
    }

    def page(self, clinic_id: uuid.UUID, listing: Listing, provider_id: uuid.UUID | None = None) -> list[Service]:
        conditions = []
        if provider_id is not None:
            conditions.append(services.c.id.in_(
                select(service_providers.c.service_id)
                .where(service_providers.c.clinic_id == clinic_id, service_providers.c.provider_id == provider_id)
            ))
        return super().page(clinic_id, listing, *conditions)

    def delivered_by(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._session.scalars(
            _active_owners(service_providers, "service_id", services, clinic_id, "provider_id", provider_id)))

    def _columns(self, service: Service) -> dict[str, Any]:
        d = service.details
        refund = d.refund_policy
        return dict(
            name=d.name, description=d.description, duration_minutes=d.duration_minutes,
            **_money_columns(d.price),
            buffer_before_minutes=d.buffer_before_minutes, buffer_after_minutes=d.buffer_after_minutes,
            required_forms=[{"kind": f.kind, "template_key": f.template_key} for f in d.required_forms],
            cancellation_window_hours=d.cancellation_window_hours,
            refund_kind=refund.kind if refund else None, refund_percent=refund.percent if refund else None,
            refund_text=refund.text if refund else None,
            remind_24h_before=d.reminders.before_24h, remind_1h_before=d.reminders.before_1h,
            minimum_notice_minutes=d.minimum_notice_minutes, booking_horizon_days=d.booking_horizon_days,
            **_lifecycle(service),
        )

    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> Service:
        details = ServiceDetails(
            name=row.name, description=row.description, duration_minutes=row.duration_minutes, price=_money(row),
            buffer_before_minutes=row.buffer_before_minutes, buffer_after_minutes=row.buffer_after_minutes,
            provider_ids=tuple(link.provider_id for link in linked["providers"]),
            required_forms=tuple(RequiredForm(f["kind"], f["template_key"]) for f in row.required_forms),
            cancellation_window_hours=row.cancellation_window_hours,
            refund_policy=None if row.refund_kind is None else RefundPolicy(row.refund_kind, row.refund_percent,
                                                                            row.refund_text),
            reminders=Reminders(row.remind_24h_before, row.remind_1h_before),
            minimum_notice_minutes=row.minimum_notice_minutes, booking_horizon_days=row.booking_horizon_days,
        )
        held = tuple(Document(d.id, d.kind, d.title, d.filename, d.content_type, d.size_bytes, d.sha256,
                              d.uploaded_at, d.archived) for d in linked["documents"])
        return Service(row.id, row.clinic_id, details, row.version, row.updated_at, row.archived, held)


class SqlCalendars(SqlPricedEntries[Calendar]):
    table = calendars

    def page(self, clinic_id: uuid.UUID, listing: Listing, service_id: uuid.UUID | None = None) -> list[Calendar]:
        return super().page(clinic_id, listing, *([] if service_id is None else [calendars.c.service_id == service_id]))

    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[Calendar]:
        return self._load(clinic_id, self._where(clinic_id, calendars.c.service_id == service_id,
                                                 calendars.c.archived.is_(False)).order_by(calendars.c.id))

    def _columns(self, calendar: Calendar) -> dict[str, Any]:
        d = calendar.details
        return dict(
            service_id=d.service_id, name=d.name, kind=d.kind, timezone=d.timezone, **_money_columns(d.price),
            hours=[{"weekday": w.weekday, "start": w.start, "end": w.end} for w in d.hours],
            bookable_from=d.bookable_from, bookable_until=d.bookable_until,
            minimum_notice_minutes=d.minimum_notice_minutes, booking_horizon_days=d.booking_horizon_days,
            **_lifecycle(calendar),
        )

    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> Calendar:
        details = CalendarDetails(
            service_id=row.service_id, name=row.name, kind=row.kind, timezone=row.timezone, price=_money(row),
            hours=tuple(HourWindow(w["weekday"], w["start"], w["end"]) for w in row.hours),
            bookable_from=row.bookable_from, bookable_until=row.bookable_until,
            minimum_notice_minutes=row.minimum_notice_minutes, booking_horizon_days=row.booking_horizon_days,
        )
        return Calendar(row.id, row.clinic_id, details, row.version, row.updated_at, row.archived)


class SqlPlans(SqlPricedEntries[Plan]):
    table = plans
    links = {
        "services": Link(plan_services, "plan_id", "position", lambda plan: [
            {"service_id": service_id, "position": position}
            for position, service_id in enumerate(plan.details.service_ids)
        ]),
        "products": Link(plan_products, "plan_id", "position", lambda plan: [
            {"product_id": bundled.product_id, "quantity": bundled.quantity, "position": position}
            for position, bundled in enumerate(plan.details.products)
        ]),
    }

    def page(self, clinic_id: uuid.UUID, listing: Listing, service_id: uuid.UUID | None = None,
             product_id: uuid.UUID | None = None) -> list[Plan]:
        conditions = []
        for link_table, column, value in ((plan_services, "service_id", service_id),
                                          (plan_products, "product_id", product_id)):
            if value is not None:
                conditions.append(plans.c.id.in_(
                    select(link_table.c.plan_id)
                    .where(link_table.c.clinic_id == clinic_id, link_table.c[column] == value)
                ))
        return super().page(clinic_id, listing, *conditions)

    def using_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._session.scalars(
            _active_owners(plan_services, "plan_id", plans, clinic_id, "service_id", service_id)))

    def bundling(self, clinic_id: uuid.UUID, product_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._session.scalars(
            _active_owners(plan_products, "plan_id", plans, clinic_id, "product_id", product_id)))

    def _columns(self, plan: Plan) -> dict[str, Any]:
        d = plan.details
        return dict(
            name=d.name, description=d.description, kind=d.kind, **_money_columns(d.price), sessions=d.sessions,
            **_period_columns("session_validity", d.session_validity), **_period_columns("period", d.period),
            **_period_columns("access_window", d.access_window), access_grants=list(d.access_grants),
            **_lifecycle(plan),
        )

    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> Plan:
        details = PlanDetails(
            name=row.name, description=row.description, kind=row.kind, price=_money(row), sessions=row.sessions,
            session_validity=_period(row.session_validity_count, row.session_validity_unit),
            period=_period(row.period_count, row.period_unit),
            access_window=_period(row.access_window_count, row.access_window_unit),
            service_ids=tuple(link.service_id for link in linked["services"]),
            access_grants=tuple(row.access_grants),
            products=tuple(BundledProduct(link.product_id, link.quantity) for link in linked["products"]),
        )
        return Plan(row.id, row.clinic_id, details, row.version, row.updated_at, row.archived)


class SqlProducts(SqlPricedEntries[Product]):
    table = products

    def _columns(self, product: Product) -> dict[str, Any]:
        d = product.details
        return dict(name=d.name, description=d.description, **_money_columns(d.price), attributes=dict(d.metadata),
                    **_lifecycle(product))

    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> Product:
        details = ProductDetails(row.name, row.description, _money(row), dict(row.attributes))
        return Product(row.id, row.clinic_id, details, row.version, row.updated_at, row.archived)
