"""How a row read in a transaction is held until it ends, so what was decided on it stays true.

- "update": by the writer about to change the row (an archive first holds what it archives, so
  nothing can start referring to it while it counts what still does);
- "share": by a writer whose change relies on the row as read (a plan selling sessions of a
  service it found active): the row cannot be changed or archived until that writer commits.

PostgreSQL takes them as FOR UPDATE and FOR SHARE; SQLite has no row locks and needs none (its
writers are serialised by BEGIN IMMEDIATE), so there they add nothing.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Select

Lock = Literal["update", "share"]


def locked(query: Select, lock: Lock | None) -> Select:
    return query if lock is None else query.with_for_update(read=lock == "share")
