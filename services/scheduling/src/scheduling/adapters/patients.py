"""Where a clinic's patients are kept. Every lookup names the clinic."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Protocol

from sqlalchemy import BigInteger, bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from scheduling.adapters.orm import patients
from scheduling.domain.patients import Patient, SmsConsent


class PatientRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient | None: ...

    def held_for_change(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient | None:
        """The patient, locked until the transaction ends."""

    def with_email(self, clinic_id: uuid.UUID, email: str) -> list[Patient]:
        """Patients whose email is `email`, ignoring case, oldest first."""

    def hold_registration(self, clinic_id: uuid.UUID, *, account_id: uuid.UUID | None = None,
                          email: str | None = None) -> None:
        """Until the transaction ends, hold the finding and registering of the patient linked to
        `account_id` or, given instead, of the patient with `email` (ignoring case): a concurrent
        holder of the same waits until this transaction ends, and then finds what it registered."""

    def add(self, patient: Patient) -> None: ...

    def save(self, patient: Patient) -> None: ...

    def page(self, clinic_id: uuid.UUID, *, query: str | None, account_id: uuid.UUID | None,
             after: uuid.UUID | None, limit: int) -> list[Patient]:
        """Patients by id (time-ordered) after `after`; `query` finds a part of a name, email
        or mobile number, ignoring case."""


MIN_NUMBER_DIGITS = 4  # fewer would find nearly every number
_ONE = select(patients).where(patients.c.clinic_id == bindparam("clinic_id"),
                              patients.c.patient_id == bindparam("patient_id"))
# PostgreSQL locks the row; SQLite's write transactions already run one at a time.
_ONE_LOCKED = _ONE.with_for_update()
_WITH_EMAIL = select(patients).where(patients.c.clinic_id == bindparam("clinic_id"),
                                     patients.c.email_key == bindparam("email_key")).order_by(patients.c.patient_id)
_ADD = insert(patients)
_HOLD = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key", type_=BigInteger))


class SqlPatients:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._sqlite = session.get_bind().dialect.name == "sqlite"

    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient | None:
        row = self._session.execute(_ONE, {"clinic_id": clinic_id, "patient_id": patient_id}).mappings().one_or_none()
        return _patient(row) if row else None

    def held_for_change(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient | None:
        row = self._session.execute(_ONE_LOCKED, {"clinic_id": clinic_id, "patient_id": patient_id}
                                    ).mappings().one_or_none()
        return _patient(row) if row else None

    def with_email(self, clinic_id: uuid.UUID, email: str) -> list[Patient]:
        rows = self._session.execute(_WITH_EMAIL, {"clinic_id": clinic_id, "email_key": email.casefold()}).mappings()
        return [_patient(row) for row in rows]

    def hold_registration(self, clinic_id: uuid.UUID, *, account_id: uuid.UUID | None = None,
                          email: str | None = None) -> None:
        # SQLite's write transactions already run one at a time (BEGIN IMMEDIATE): nothing to hold.
        if self._sqlite:
            return
        held = f"account:{account_id}" if account_id is not None else f"email:{email.casefold()}"
        self._session.execute(_HOLD, {"key": _lock_key(clinic_id, held)})

    def add(self, patient: Patient) -> None:
        self._session.execute(_ADD, _row(patient))

    def save(self, patient: Patient) -> None:
        self._session.execute(update(patients).where(
            patients.c.clinic_id == patient.clinic_id, patients.c.patient_id == patient.patient_id,
        ).values(**_row(patient)))

    def page(self, clinic_id: uuid.UUID, *, query: str | None, account_id: uuid.UUID | None,
             after: uuid.UUID | None, limit: int) -> list[Patient]:
        statement = select(patients).where(patients.c.clinic_id == clinic_id)
        if query:
            pattern = f"%{_escaped(query.lower())}%"
            found = [func.lower(patients.c.name).like(pattern, escape="\\"),
                     patients.c.email_key.like(pattern, escape="\\"), patients.c.mobile.like(pattern, escape="\\")]
            # A number as people write it ("0722 999 888", "(0722) 999-888") is found in the stored
            # E.164 form (+40722999888): by its digits, without the leading zeros of a national number.
            digits = "".join(c for c in query if c in "0123456789").lstrip("0")
            if len(digits) >= MIN_NUMBER_DIGITS:
                found.append(patients.c.mobile.like(f"%{digits}%"))
            statement = statement.where(or_(*found))
        if account_id is not None:
            statement = statement.where(patients.c.account_id == account_id)
        if after is not None:
            statement = statement.where(patients.c.patient_id > after)
        rows = self._session.execute(statement.order_by(patients.c.patient_id).limit(limit)).mappings()
        return [_patient(row) for row in rows]


def _escaped(text: str) -> str:
    """`text` matched as it is by LIKE (with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lock_key(clinic_id: uuid.UUID, held: str) -> int:
    """PostgreSQL's advisory lock key (a signed 64-bit integer) of what is held in a clinic. Two
    different ones may share a key (about once in 2**64): they then merely wait for each other."""
    digest = hashlib.sha256(f"{clinic_id}:{held}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _row(patient: Patient) -> dict[str, Any]:
    consent = patient.sms_consent
    return {
        "clinic_id": patient.clinic_id, "patient_id": patient.patient_id, "account_id": patient.account_id,
        "name": patient.name, "email": patient.email, "email_key": patient.email.casefold(),
        "mobile": patient.mobile, "sms_consent_given": consent.given if consent else None,
        "sms_consent_recorded_at": consent.recorded_at if consent else None,
        "sms_consent_text_version": consent.text_version if consent else None,
        "version": patient.version, "archived": patient.archived, "created_at": patient.created_at,
        "updated_at": patient.updated_at,
    }


def _patient(row) -> Patient:
    consent = None
    if row["sms_consent_given"] is not None:
        consent = SmsConsent(row["sms_consent_given"], row["sms_consent_recorded_at"], row["sms_consent_text_version"])
    return Patient(row["clinic_id"], row["patient_id"], row["account_id"], row["name"], row["email"], row["mobile"],
                   consent, row["version"], row["archived"], row["created_at"], row["updated_at"])
