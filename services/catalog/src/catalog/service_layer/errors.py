"""Why a use case refused: the few outcomes every entrypoint translates into an answer."""

from __future__ import annotations

import uuid

from catalog.domain.errors import RuleBroken


class Invalid(Exception):
    def __init__(self, problems: list[RuleBroken]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class NotFound(Exception):
    """No such `what` in this clinic (another clinic's id is not found either)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no {what} here")
        self.what = what


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"it is at version {current}")
        self.current = current


class InUse(Exception):
    """`what` cannot be archived while active entries still refer to it."""

    def __init__(self, what: str, users: dict[str, list[uuid.UUID]]) -> None:
        described = "; ".join(f"{noun}: {', '.join(map(str, ids))}" for noun, ids in users.items())
        super().__init__(f"the {what} is still used by active {described}")
        self.what = what
        self.users = users
