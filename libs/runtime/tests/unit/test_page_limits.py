"""A list's `limit`: a whole number in ASCII digits within its bounds, or one field error."""

from __future__ import annotations

import pytest
from flask import Flask

from clinic_runtime.problems import FieldError
from clinic_runtime.web import page_limit

app = Flask(__name__)


def limit_of(query: str) -> tuple[int, list[FieldError]]:
    errors: list[FieldError] = []
    with app.test_request_context(f"/things?{query}"):
        return page_limit(errors, default=50, most=100), errors


@pytest.mark.parametrize(("query", "limit"), [("", 50), ("limit=1", 1), ("limit=100", 100), ("limit=007", 7)])
def test_a_limit_within_bounds_or_none_is_taken(query, limit):
    assert limit_of(query) == (limit, [])


@pytest.mark.parametrize("text", ["0", "101", "-1", "1e2", "", " 5", "5.0", "%C2%B2", "%D9%A3", "99999999999999999999"])
def test_anything_else_is_a_field_error_and_the_default(text):
    """Superscripts and other scripts' digits pass str.isdigit() but not int()."""
    limit, errors = limit_of(f"limit={text}")

    assert limit == 50 and [error.field for error in errors] == ["limit"]
