"""Why a use case refused, in the outcomes every service answers alike, and those answers:
`answer_refusals(app)` turns each into its RFC 9457 problem (the request then rolls back, so
nothing of it is written). A service answers its own refusals beside these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from flask import Flask, Response

from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.web import problem_response


class BrokenRule(Protocol):
    """A domain's report of a rule a value breaks: the field as the client sent it, and how."""

    field: str
    message: str


class Invalid(Exception):
    def __init__(self, problems: Sequence[BrokenRule]) -> None:
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


def answer_refusals(app: Flask) -> None:
    @app.errorhandler(Invalid)
    def invalid(refused: Invalid) -> Response:
        return problem_response(validation_problem([FieldError(p.field, p.message) for p in refused.problems]))

    @app.errorhandler(NotFound)
    def unknown(refused: NotFound) -> Response:
        return problem_response(not_found(refused.what))

    @app.errorhandler(StaleVersion)
    def stale(refused: StaleVersion) -> Response:
        return problem_response(Problem(412, "stale-version", "It changed since you read it.",
                                        f"It is now at version {refused.current}; read it again and retry."))

    @app.errorhandler(Conflict)
    def conflicting(refused: Conflict) -> Response:
        return problem_response(conflict(refused.kind, refused.message))
