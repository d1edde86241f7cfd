"""A failed statement's error, which is logged whole wherever it is unexpected, shows neither its
parameters (patients' names, addresses, password hashes) nor the row PostgreSQL refused."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from clinic_runtime.logging import JsonFormatter

pytestmark = pytest.mark.integration

NAME = "Ioana Vasilescu"
ADDRESS = "ioana.vasilescu@example.ro"

patients = sa.Table("hidden_parameter_patients", sa.MetaData(),
                    sa.Column("name", sa.String(100), unique=True),
                    sa.Column("email", sa.String(254)))


@pytest.fixture
def failed(engine) -> sa.exc.DBAPIError:
    """The error of a second patient with the same name: refused as a duplicate."""
    patients.create(engine)
    with engine.begin() as connection:
        connection.execute(patients.insert(), {"name": NAME, "email": ADDRESS})
    with pytest.raises(sa.exc.IntegrityError) as refused, engine.begin() as connection:
        connection.execute(patients.insert(), {"name": NAME, "email": ADDRESS})
    return refused.value


def test_the_error_of_a_failed_statement_shows_none_of_its_parameters(failed):
    assert "[SQL parameters hidden" in str(failed)
    assert ADDRESS not in str(failed)


def test_the_logged_error_shows_neither_the_parameters_nor_the_refused_row(failed):
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "unhandled error", (), (
        type(failed), failed, failed.__traceback__))
    line = json.loads(JsonFormatter("scheduling").format(record))

    assert "IntegrityError" in line["exception"]
    assert NAME not in line["exception"] and "ioana" not in line["exception"]
