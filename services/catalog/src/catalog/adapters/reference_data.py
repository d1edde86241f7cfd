"""Reference lists from the standard library (IANA zones), Babel (ISO 4217, CLDR locales) and
phonenumbers (Google's libphonenumber metadata: numbering plans, which numbers are mobile)."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from clinic_contracts.zones import is_time_zone

# language[-Script][-REGION]: the subset of BCP 47 a clinic's locale needs, e.g. ro-RO, sr-Latn-RS.
# Some plans (US, CA) do not tell mobile from fixed lines; both kinds may receive SMS there.
SMS_CAPABLE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
BCP47_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")


class WorldReferenceData:
    def is_timezone(self, name: str) -> bool:
        return is_time_zone(name)

    def is_currency(self, code: str) -> bool:
        return code in _currencies()

    def is_locale(self, tag: str) -> bool:
        # Babel also accepts POSIX forms (en.UTF-8, en@euro); the contract promises BCP 47.
        if not BCP47_LANGUAGE_TAG.fullmatch(tag):
            return False
        try:
            Locale.parse(tag, sep="-")
            return True
        except (ValueError, UnknownLocaleError):
            return False

    def mobile_number(self, raw: str, region: str | None) -> str | None:
        try:
            number = phonenumbers.parse(raw, region)
        except NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in SMS_CAPABLE:
            return None
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)



@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())
