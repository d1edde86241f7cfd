"""RFC 9457 problem details: the one shape every error response takes."""

from __future__ import annotations

from dataclasses import dataclass, field

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://problems.clinic-platform.dev/"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class Problem(Exception):
    """Raise from a use case or route; the app factory renders it.

    `kind` is the machine-readable slug that becomes the problem `type` URI.
    """

    status: int
    kind: str
    title: str
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    extensions: dict[str, object] = field(default_factory=dict)

    def to_dict(self, instance: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {"type": TYPE_BASE + self.kind, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        body.update(self.extensions)
        return body


def validation_problem(errors: list[FieldError], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(422, "validation-error", "Your request is not valid.", detail, errors)


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found.", f"No {what} here.")


def conflict(kind: str, detail: str) -> Problem:
    return Problem(409, kind, "Conflict.", detail)
