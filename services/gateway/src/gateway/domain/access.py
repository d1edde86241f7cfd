"""Access at the gateway: who may reach which clinic's routes, and how long a decision holds.

Entitlements decides what a principal may do; the gateway only asks and remembers the answer
briefly. Two rules live here because they come before any question is asked:

- tenancy: a principal of one clinic on another clinic's route gets "not found", exactly as for
  a clinic that does not exist, so routes never confirm that a clinic or its data exist;
- MFA: a clinic that requires a second factor turns away its staff and providers whose session
  was opened without one (patients are exempt).

Decisions are remembered for a short time, each stamped with the clinic's *access generation*:
a counter the gateway's worker advances whenever entitlements reports a role or assignment
change in that clinic. A remembered decision whose generation has moved is not used again.
"""

from __future__ import annotations

import enum
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.domain.principal import AccountKind, Principal

K = TypeVar("K")
V = TypeVar("V")

PLATFORM_PREFIX = "platform."


def is_platform_permission(permission: str) -> bool:
    """Platform permissions are held by operators only and act on no single clinic."""
    return permission.startswith(PLATFORM_PREFIX)


class Scope(enum.StrEnum):
    ANY = "any"  # every resource of the clinic
    OWN = "own"  # only resources the principal owns: the caller must narrow what it returns


@dataclass(frozen=True)
class Decision:
    """Entitlements' answer to "may this principal do this action here?"."""

    allowed: bool
    scope: Scope | None
    reason_code: str
    reason: str


class Verdict(enum.Enum):
    ASK = "ask"  # the principal may be on this route: ask entitlements for the decision
    NOT_FOUND = "not_found"  # another tenant's route: answer as if it did not exist
    MFA_REQUIRED = "mfa_required"  # the clinic requires a second factor this session lacks


def clinic_route_verdict(principal: Principal, clinic_id: uuid.UUID, mfa_required: Callable[[], bool]) -> Verdict:
    """What happens to `principal` on a route of clinic `clinic_id`, before any decision.

    Operators belong to no clinic, so clinic routes do not exist for them either: the platform
    acts on clinics through its own routes. `mfa_required` (the clinic's policy) is looked up
    only for the principals it concerns.
    """
    if principal.clinic_id != clinic_id:
        return Verdict.NOT_FOUND
    if principal.kind in (AccountKind.STAFF, AccountKind.PROVIDER) and not principal.mfa_verified and mfa_required():
        return Verdict.MFA_REQUIRED
    return Verdict.ASK


def ownership(principal: Principal, owner_id: uuid.UUID | None) -> bool | None:
    """Whether the principal owns the resource: None when the route names no owner.

    Entitlements' answer depends on the owner only through this, so it is what a remembered
    decision is keyed by (not the owner's id: one entry serves every resource of others).
    """
    return None if owner_id is None else owner_id == principal.account_id


@dataclass(frozen=True)
class DecisionKey:
    principal_id: uuid.UUID
    action: str
    clinic_id: uuid.UUID | None
    owns_resource: bool | None

    @classmethod
    def of(cls, principal: Principal, action: str, clinic_id: uuid.UUID | None,
           owner_id: uuid.UUID | None) -> DecisionKey:
        return cls(principal.account_id, action, clinic_id, ownership(principal, owner_id))


@dataclass(frozen=True)
class _Remembered(Generic[V]):
    decision: V
    generation: int
    expires_at: float


class DecisionCache(Generic[K, V]):
    """Decisions remembered for `ttl_seconds`, or until their clinic's generation moves: access
    decisions (by `DecisionKey`), and any other answer kept per clinic the same way.

    Bounded: past `max_entries` the least recently used entry goes, so a flood of principals
    cannot grow a web process without limit. Shared by a web process's threads. Times are
    monotonic seconds passed in by the caller, so the rules are tested without a clock.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 50_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[K, _Remembered[V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, generation: int, now: float) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.generation != generation or now >= entry.expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.decision

    def put(self, key: K, decision: V, generation: int, now: float) -> None:
        """Remember `decision`, made under `generation`: the one read *before* asking, so a role
        change that lands while the question is in flight makes the answer stale at once."""
        if self._ttl <= 0:
            return
        with self._lock:
            self._entries[key] = _Remembered(decision, generation, now + self._ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
