"""A clinic's patients: who an appointment is for, and where its messages go.

- `name` is required (1-200 characters, trimmed); `email` must look like an address (it is
  kept as given, compared case-insensitively); `mobile`, when given, must be a valid mobile
  number of a real country, and is kept in E.164. A number without a country prefix is read as
  a number of the clinic's country (its locale's region), so `0712 345 678` in a ro-RO clinic
  is `+40712345678`.
- No field holds a control character (scheduling.domain.text): a NUL or an escape in a name,
  email, mobile number or consent wording version is refused like any other broken rule.
- SMS consent is recorded with the time it was given or withdrawn and the version of the
  wording the patient was shown; changing only other details keeps the recorded consent.
- Every change raises the version by one; an archived patient keeps their history and takes no
  new bookings.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import phonenumbers

from scheduling.domain.errors import RuleBroken
from scheduling.domain.text import check_text, is_blank

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class SmsConsent:
    given: bool
    recorded_at: datetime
    text_version: str


@dataclass(frozen=True)
class Contact:
    """Contact details as checked by `check_contact`."""

    name: str
    email: str
    mobile: str | None  # E.164


@dataclass(frozen=True)
class Patient:
    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    account_id: uuid.UUID | None
    name: str
    email: str
    mobile: str | None
    sms_consent: SmsConsent | None
    version: int
    archived: bool
    created_at: datetime
    updated_at: datetime

    def changed(self, contact: Contact, *, account_id: uuid.UUID | None, consent: tuple[bool, str] | None,
                now: datetime) -> Patient:
        """The patient with new details; itself when nothing differs (no new version)."""
        sms_consent = self.sms_consent
        if consent is not None and (sms_consent is None or (sms_consent.given, sms_consent.text_version) != consent):
            sms_consent = SmsConsent(consent[0], now, consent[1])
        new = replace(self, name=contact.name, email=contact.email, mobile=contact.mobile,
                      account_id=account_id if account_id is not None else self.account_id, sms_consent=sms_consent)
        if new == self:
            return self
        return replace(new, version=self.version + 1, updated_at=now)

    def archive(self, now: datetime) -> Patient:
        if self.archived:
            return self
        return replace(self, archived=True, version=self.version + 1, updated_at=now)


def new_patient(clinic_id: uuid.UUID, patient_id: uuid.UUID, contact: Contact, *, account_id: uuid.UUID | None,
                consent: tuple[bool, str] | None, now: datetime) -> Patient:
    return Patient(clinic_id, patient_id, account_id, contact.name, contact.email, contact.mobile,
                   SmsConsent(consent[0], now, consent[1]) if consent is not None else None, 1, False, now, now)


def check_contact(name: str, email: str, mobile: str | None, *, region: str | None,
                  prefix: str = "") -> tuple[Contact, list[RuleBroken]]:
    """The contact details as kept, and every rule they break (fields named under `prefix`)."""
    problems = [*check_text(f"{prefix}name", name), *check_text(f"{prefix}email", email),
                *check_text(f"{prefix}mobile", mobile or "")]
    if problems:
        return Contact(name, email, None), problems
    name = name.strip()
    if not 1 <= len(name) <= 200 or is_blank(name):
        problems.append(RuleBroken(f"{prefix}name", "give the patient's name (at most 200 characters)"))
    email = email.strip()
    # Kept casefolded too (to find a patient by email), where ß becomes ss: both must fit.
    if len(email.casefold()) > 254 or len(email) > 254 or not EMAIL.fullmatch(email):
        problems.append(RuleBroken(f"{prefix}email", "is not an email address"))
    e164 = None
    if mobile is not None and mobile.strip():
        try:
            e164 = mobile_number(mobile, region)
        except RuleBroken as broken:
            problems.append(RuleBroken(f"{prefix}mobile", broken.message))
    return Contact(name, email, e164), problems


def check_consent(consent: tuple[bool, str] | None, *, prefix: str = "") -> list[RuleBroken]:
    """The rules a consent's wording version breaks (1-64 characters, trimmed, no control characters)."""
    if consent is None:
        return []
    text_version = consent[1]
    if not 1 <= len(text_version.strip()) <= 64 or is_blank(text_version):
        return [RuleBroken(f"{prefix}sms_consent.text_version", "give the version of the wording shown (1-64 characters)")]
    return check_text(f"{prefix}sms_consent.text_version", text_version)


def mobile_number(text: str, region: str | None) -> str:
    """`text` as an E.164 mobile number; a number without its country prefix is read in `region`."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        raise RuleBroken("mobile", "is not a phone number; write it with its country prefix, e.g. +40712345678") from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) in (None, "ZZ"):
        raise RuleBroken("mobile", "is not a valid number of any country")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise RuleBroken("mobile", "is not a mobile number: text messages cannot reach it")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(locale: str | None) -> str | None:
    """The country of a locale such as `ro-RO`; None when it names none."""
    if not locale:
        return None
    parts = re.split(r"[-_]", locale)
    return next((part.upper() for part in parts[1:] if len(part) == 2 and part.isalpha()), None)


def same_person(patient: Patient, contact: Contact) -> bool:
    """Whether a booking's contact details name this patient (email and name, ignoring case)."""
    return (not patient.archived and patient.email.casefold() == contact.email.casefold()
            and patient.name.casefold() == contact.name.casefold())
