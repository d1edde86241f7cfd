"""Problems that need response headers too: 401 with WWW-Authenticate, 429 with Retry-After."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response

from clinic_runtime.problems import Problem
from clinic_runtime.web import problem_response


@dataclass
class ProblemWithHeaders(Problem):
    headers: dict[str, str] = field(default_factory=dict)


def render(problem: ProblemWithHeaders) -> Response:
    response = problem_response(problem)
    response.headers.update(problem.headers)
    return response


def too_many_requests(kind: str, title: str, retry_after_seconds: int) -> ProblemWithHeaders:
    return ProblemWithHeaders(429, kind, title, f"Try again in {retry_after_seconds} seconds.",
                              headers={"Retry-After": str(retry_after_seconds)})
