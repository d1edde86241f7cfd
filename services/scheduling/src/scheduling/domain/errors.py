"""The one way a scheduling rule is reported: which field broke it, and how, in words for staff."""

from __future__ import annotations


class RuleBroken(ValueError):
    """A value that breaks a rule; `field` names the offending field as the client sent it
    (`rules.2.end`, `tz`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message
