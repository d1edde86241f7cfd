"""How scheduling answers a refused use case, for every route: its RFC 9457 problem (the request
then rolls back, so nothing of it is written)."""

from __future__ import annotations

from flask import Flask, Response

from clinic_runtime import refusals
from clinic_runtime.problems import Problem
from clinic_runtime.web import problem_response
from scheduling.domain.appointments import SlotTaken


def answer_refusals(app: Flask) -> None:
    """The refusals every service shares, and a slot another booking holds."""
    refusals.answer_refusals(app)

    @app.errorhandler(SlotTaken)
    def taken(_refused: SlotTaken) -> Response:
        return problem_response(Problem(409, "slot-taken", "This time is no longer free.",
                                        "Another booking holds it. Ask for the slots again and pick another."))
