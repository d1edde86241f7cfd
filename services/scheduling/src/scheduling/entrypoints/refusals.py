"""How scheduling answers a refused use case, for every route: its RFC 9457 problem (the request
then rolls back, so nothing of it is written)."""

from __future__ import annotations

from flask import Blueprint, Response

from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.web import problem_response
from scheduling.domain.appointments import SlotTaken
from scheduling.service_layer.errors import Conflict, Invalid, NotFound, StaleVersion

refusals = Blueprint("refusals", __name__)


@refusals.app_errorhandler(Invalid)
def _invalid(refused: Invalid) -> Response:
    return problem_response(validation_problem([FieldError(p.field, p.message) for p in refused.problems]))


@refusals.app_errorhandler(NotFound)
def _unknown(refused: NotFound) -> Response:
    return problem_response(not_found(refused.what))


@refusals.app_errorhandler(StaleVersion)
def _stale(refused: StaleVersion) -> Response:
    return problem_response(Problem(412, "stale-version", "It changed since you read it.",
                                    f"It is now at version {refused.current}; read it again and retry."))


@refusals.app_errorhandler(Conflict)
def _conflict(refused: Conflict) -> Response:
    return problem_response(conflict(refused.kind, refused.message))


@refusals.app_errorhandler(SlotTaken)
def _taken(_refused: SlotTaken) -> Response:
    return problem_response(Problem(409, "slot-taken", "This time is no longer free.",
                                    "Another booking holds it. Ask for the slots again and pick another."))
