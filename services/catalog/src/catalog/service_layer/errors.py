"""Why a catalog use case refused, beyond the refusals every service shares (clinic_runtime.refusals)."""

from __future__ import annotations

import uuid


class InUse(Exception):
    """`what` cannot be archived (nor, for the clinic's currency, changed) while active entries
    still refer to it."""

    def __init__(self, what: str, users: dict[str, list[uuid.UUID]]) -> None:
        described = "; ".join(f"{noun}: {', '.join(map(str, ids))}" for noun, ids in users.items())
        super().__init__(f"the {what} is still used by active {described}")
        self.what = what
        self.users = users
