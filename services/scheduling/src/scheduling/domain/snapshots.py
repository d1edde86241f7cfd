"""What every read model scheduling keeps from another service's events has in common.

Events may arrive out of order (several relays, redeliveries), so a snapshot replaces the one
held only when its version is newer.
"""

from __future__ import annotations

from typing import Self


class Snapshot:
    """Base of a read model's snapshot: a frozen dataclass with the producer's `version`."""

    version: int

    def supersedes(self, held: Self | None) -> bool:
        return held is None or self.version > held.version
