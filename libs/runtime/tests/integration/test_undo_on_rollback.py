"""`on_rollback` on both backends: what a unit of work did outside the database is taken back when
its transaction rolls back, kept when it commits; a savepoint released on the way is no commit."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import sqlalchemy as sa

from clinic_runtime.db import on_rollback, transaction

pytestmark = pytest.mark.integration


class Undone(Exception):
    """Raised in a unit of work to roll it back."""


def work(sessions, *, savepoint: bool, fails: bool) -> list[str]:
    """Run a unit of work that registers an undo (after releasing a savepoint when `savepoint`),
    rolled back when `fails`; what was undone."""
    undone: list[str] = []
    with pytest.raises(Undone) if fails else nullcontext():
        with transaction(sessions) as session:
            on_rollback(session, lambda: undone.append("the stored file"))
            if savepoint:
                with session.begin_nested():
                    session.execute(sa.text("SELECT 1"))
            session.execute(sa.text("SELECT 1"))
            if fails:
                raise Undone
    # The session's next transactions pass the undo by.
    with transaction(sessions) as session:
        session.execute(sa.text("SELECT 1"))
    return undone


@pytest.mark.parametrize("savepoint", [False, True], ids=["plain", "after-a-released-savepoint"])
def test_the_undo_runs_once_when_the_transaction_rolls_back(sessions, savepoint):
    assert work(sessions, savepoint=savepoint, fails=True) == ["the stored file"]


@pytest.mark.parametrize("savepoint", [False, True], ids=["plain", "after-a-released-savepoint"])
def test_the_undo_does_not_run_when_the_transaction_commits(sessions, savepoint):
    assert work(sessions, savepoint=savepoint, fails=False) == []


def test_the_undo_runs_when_the_commit_itself_fails(sessions):
    undone: list[str] = []
    with sessions() as session:
        session.begin()
        on_rollback(session, lambda: undone.append("the stored file"))
        session.execute(sa.text("SELECT 1"))

        def refuse(_session) -> None:
            raise Undone

        sa.event.listen(session, "before_commit", refuse)
        with pytest.raises(Undone):
            session.commit()
        session.rollback()

    assert undone == ["the stored file"]
