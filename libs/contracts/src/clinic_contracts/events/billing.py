"""Events published by the billing service.

Billing itself comes later; its payment outcomes are defined now because scheduling acts on them.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from clinic_contracts.envelope import Event
from clinic_contracts.events.catalog import Money


class PaymentOutcome(Event):
    clinic_id: uuid.UUID
    payment_id: uuid.UUID
    appointment_id: uuid.UUID = Field(description="The appointment the payment is for (one payment per appointment).")
    amount: Money
    processor: Literal["stripe", "sandbox"]
    processor_payment_id: str = Field(description="The processor's id, e.g. a Stripe PaymentIntent id.")

    def subject(self) -> str:
        return str(self.payment_id)


class PaymentSucceededV1(PaymentOutcome):
    """The processor confirmed the payment (verified webhook, de-duplicated by its event id)."""

    event_type: ClassVar[str] = "billing.payment.succeeded.v1"
    producer: ClassVar[str] = "billing"

    succeeded_at: AwareDatetime


class PaymentFailedV1(PaymentOutcome):
    """The processor refused the payment; the patient may not retry it on this appointment."""

    event_type: ClassVar[str] = "billing.payment.failed.v1"
    producer: ClassVar[str] = "billing"

    failure_code: str = Field(description="The processor's code, e.g. card_declined.")
    failure_message: str = Field(description="Safe to show the patient.")
    failed_at: AwareDatetime
