"""Every event type the platform knows, by its versioned type name."""

from __future__ import annotations

from clinic_contracts.envelope import Event
from clinic_contracts.events.billing import PaymentFailedV1, PaymentSucceededV1
from clinic_contracts.events.catalog import (
    CalendarArchivedV1,
    CalendarUpsertedV1,
    ClinicUpsertedV1,
    PlanArchivedV1,
    PlanUpsertedV1,
    ProductArchivedV1,
    ProductUpsertedV1,
    ProviderArchivedV1,
    ProviderUpsertedV1,
    ServiceArchivedV1,
    ServiceUpsertedV1,
)
from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    CapabilityPausedV1,
    CapabilityResumedV1,
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentRenewedV1,
    EntitlementOverrideGrantedV1,
    EntitlementOverrideRevokedV1,
    PatientTierChangedV1,
    PlanVersionPublishedV1,
    PlanWithdrawnV1,
    ReservationCommittedV1,
    ReservationReleasedV1,
    ReservationShortfallV1,
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
    SubscriptionChangedV1,
    TierArchivedV1,
    TierUpsertedV1,
)
from clinic_contracts.events.scheduling import (
    AppointmentCanceledV1,
    AppointmentCompletedV1,
    AppointmentConfirmedV1,
    AppointmentExpiredV1,
    AppointmentHeldV1,
    AppointmentNoShowV1,
    AppointmentPaidV1,
    AppointmentProviderChangedV1,
    AppointmentRefundDueV1,
    AppointmentRescheduledV1,
    AppointmentVideoChangedV1,
    AvailabilityUpdatedV1,
    PatientArchivedV1,
    PatientUpsertedV1,
)

EVENT_MODELS: dict[str, type[Event]] = {
    model.event_type: model
    for model in (
        ClinicUpsertedV1,
        ProviderUpsertedV1,
        ProviderArchivedV1,
        ServiceUpsertedV1,
        ServiceArchivedV1,
        CalendarUpsertedV1,
        CalendarArchivedV1,
        PlanUpsertedV1,
        PlanArchivedV1,
        ProductUpsertedV1,
        ProductArchivedV1,
        RoleUpsertedV1,
        RoleArchivedV1,
        RoleAssignmentGrantedV1,
        RoleAssignmentRevokedV1,
        PlanVersionPublishedV1,
        PlanWithdrawnV1,
        SubscriptionChangedV1,
        EntitlementOverrideGrantedV1,
        EntitlementOverrideRevokedV1,
        CapabilityClearanceChangedV1,
        CapabilityPausedV1,
        CapabilityResumedV1,
        TierUpsertedV1,
        TierArchivedV1,
        PatientTierChangedV1,
        EnrollmentGrantedV1,
        EnrollmentRenewedV1,
        EnrollmentExpiredV1,
        EnrollmentCanceledV1,
        ReservationCommittedV1,
        ReservationReleasedV1,
        ReservationShortfallV1,
        AvailabilityUpdatedV1,
        PatientUpsertedV1,
        PatientArchivedV1,
        AppointmentHeldV1,
        AppointmentPaidV1,
        AppointmentConfirmedV1,
        AppointmentExpiredV1,
        AppointmentCanceledV1,
        AppointmentRescheduledV1,
        AppointmentProviderChangedV1,
        AppointmentCompletedV1,
        AppointmentNoShowV1,
        AppointmentRefundDueV1,
        AppointmentVideoChangedV1,
        PaymentSucceededV1,
        PaymentFailedV1,
    )
}


def event_model(event_type: str) -> type[Event]:
    try:
        return EVENT_MODELS[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
