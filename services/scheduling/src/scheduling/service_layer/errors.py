"""Why a use case refused: the few outcomes every entrypoint translates into an answer."""

from __future__ import annotations

from scheduling.domain.errors import RuleBroken


class Invalid(Exception):
    def __init__(self, problems: list[RuleBroken]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class NotFound(Exception):
    """No such `what` in this clinic (another clinic's is not found either)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no {what} here")
        self.what = what


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"it is at version {current}")
        self.current = current


class Conflict(Exception):
    """The command does not apply to the thing as it stands (e.g. completing a canceled
    appointment); `kind` ends the problem type."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
