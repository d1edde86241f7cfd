"""Reference lists from the standard library (IANA zones) and Babel (ISO 4217, CLDR locales)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies


class WorldReferenceData:
    def is_timezone(self, name: str) -> bool:
        return name in _zones()

    def is_currency(self, code: str) -> bool:
        return code in _currencies()

    def is_locale(self, tag: str) -> bool:
        try:
            Locale.parse(tag, sep="-")
            return True
        except (ValueError, UnknownLocaleError):
            return False


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())
